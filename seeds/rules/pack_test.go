// Package rules_test runs the seed rule pack's unit tests
// (seeds/rules/*_test.yaml), and checks that they pin the pack down: any
// threshold, delay or window changed in a rule file makes some test fail.
package rules_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"facmon/alarms/rules"
	"facmon/alarms/rulestest"
	"facmon/internal/site"
)

// TestPack runs every *_test.yaml of the pack, with the demo community as
// the site every rule must select a device of, and requires every rule to
// be raised with its severity asserted and cleared by some test.
func TestPack(t *testing.T) {
	files, _ := filepath.Glob("*_test.yaml")
	if len(files) == 0 {
		t.Fatal("no *_test.yaml in seeds/rules")
	}
	var out bytes.Buffer
	rep, err := rulestest.RunWith(rulestest.Options{Files: files, Site: "../sites/demo.yaml"}, &out)
	if err != nil || rep.Failed {
		t.Fatalf("rule tests failed (err %v):\n%s", err, out.String())
	}
	if len(rep.Uncovered) > 0 {
		t.Errorf("rules no test raises with its severity and clears:\n%s", strings.Join(rep.Uncovered, "\n"))
	}
	for _, rf := range ruleFiles() {
		if len(testsOf(".", rf)) == 0 {
			t.Errorf("%s: no *_test.yaml of the pack names it in rule_files: its rules are untested", rf)
		}
	}
}

// ruleFiles returns the pack's rule files (every *.yaml but the tests).
func ruleFiles() []string {
	files, _ := filepath.Glob("*.yaml")
	return slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.yaml") })
}

// testsOf returns the test files in dir that load rule file rf.
func testsOf(dir, rf string) []string {
	tests, _ := filepath.Glob(filepath.Join(dir, "*_test.yaml"))
	return slices.DeleteFunc(tests, func(f string) bool {
		b, _ := os.ReadFile(f)
		return !regexp.MustCompile(`(?m)^rule_files:.*\b` + regexp.QuoteMeta(rf)).Match(b)
	})
}

// param matches one tunable parameter of a rule: a threshold, a delay, a
// window bound.
var param = regexp.MustCompile(`\b(above|below|deadband|equals|changes_to|on_delay|off_delay|within|window|wrap|d1|d2|run_on|tolerance|no_data_for|from|to): ("?[0-9][0-9.:]*[a-z]*"?)`)

// severity matches a rule's severity; flipped names the severity each is
// changed to.
var (
	severity = regexp.MustCompile(`\bseverity: (critical|major|minor|warning)\b`)
	flipped  = map[string]string{"critical": "major", "major": "critical", "minor": "warning", "warning": "minor"}
)

// kindSel matches a selection's kind or kinds; bits matches a line-fault
// bit number. A selection's kind is pointed at "other", a kind the test
// site lacks (dropping it would leave its labels selecting the same
// devices); each kind of a kinds list is dropped.
var (
	kindSel = regexp.MustCompile(`\bkind: ([a-z_]+)|\bkinds:\s*\[([^\]]*)\]`)
	bit     = regexp.MustCompile(`\b(open|short|power_loss): ([0-9]+)`)
)

// mutation is one change to a rule file.
type mutation struct {
	name string
	data []byte
}

// TestPackMutations changes each rule file in every way a rule can be
// wrong — each parameter up and down, each severity flipped, each kind
// dropped from each selection, each line-fault bit moved — and requires
// that some test of the pack then fails.
//
// It runs without the race detector (`make rules-test`): it has no
// concurrency of its own beyond t.Parallel, and its few hundred runs of the
// pack take many minutes under -race.
func TestPackMutations(t *testing.T) {
	if raceDetector {
		t.Skip("run without -race by make rules-test")
	}
	ruleFiles, _ := filepath.Glob("*.yaml")
	for _, rf := range ruleFiles {
		if strings.HasSuffix(rf, "_test.yaml") {
			continue
		}
		data, err := os.ReadFile(rf)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mutations(data) {
			if equivalentMutant(rf, m.name) {
				continue
			}
			t.Run(rf+":"+m.name, func(t *testing.T) {
				t.Parallel()
				requireFailure(t, rf, m.data)
			})
		}
	}
}

// mutations returns every change TestPackMutations tries on a rule file.
// equivalentMutant names the mutations no input can catch: selfcheck.yaml
// counts messages and records (whole numbers) against "above: 0.5" — any
// drop at all — and 0.3 or 0.7 raise on exactly the same counts.
func equivalentMutant(file, name string) bool {
	return file == "selfcheck.yaml" && (strings.HasSuffix(name, "above 0.5→0.3") || strings.HasSuffix(name, "above 0.5→0.7"))
}

func mutations(data []byte) []mutation {
	var out []mutation
	line := func(at int) int { return bytes.Count(data[:at], []byte("\n")) + 1 }
	replace := func(from, to int, with string) []byte {
		return append(append(append([]byte{}, data[:from]...), with...), data[to:]...)
	}
	for _, loc := range param.FindAllSubmatchIndex(data, -1) {
		key, val := string(data[loc[2]:loc[3]]), string(data[loc[4]:loc[5]])
		for _, m := range mutate(val) {
			out = append(out, mutation{fmt.Sprintf("%d %s %s→%s", line(loc[0]), key, val, m), replace(loc[4], loc[5], m)})
		}
	}
	for _, loc := range severity.FindAllSubmatchIndex(data, -1) {
		val := string(data[loc[2]:loc[3]])
		out = append(out, mutation{fmt.Sprintf("%d severity %s→%s", line(loc[0]), val, flipped[val]), replace(loc[2], loc[3], flipped[val])})
	}
	for _, loc := range kindSel.FindAllSubmatchIndex(data, -1) {
		if loc[2] >= 0 {
			out = append(out, mutation{fmt.Sprintf("%d kind %s→other", line(loc[0]), data[loc[2]:loc[3]]), replace(loc[2], loc[3], "other")})
			continue
		}
		kinds := strings.Split(string(data[loc[4]:loc[5]]), ",")
		for i, k := range kinds {
			rest := slices.Delete(slices.Clone(kinds), i, i+1)
			out = append(out, mutation{fmt.Sprintf("%d kinds: %s dropped", line(loc[0]), strings.TrimSpace(k)),
				replace(loc[4], loc[5], strings.Join(rest, ","))})
		}
	}
	for _, loc := range bit.FindAllSubmatchIndex(data, -1) {
		n, _ := strconv.Atoi(string(data[loc[4]:loc[5]]))
		out = append(out, mutation{fmt.Sprintf("%d bit %s %d→%d", line(loc[0]), data[loc[2]:loc[3]], n, n+3),
			replace(loc[4], loc[5], strconv.Itoa(n+3))})
	}
	return out
}

// requireFailure runs the pack's tests with rule file rf replaced by data
// and fails if they all pass.
func requireFailure(t *testing.T, rf string, data []byte) {
	dir := t.TempDir()
	copyPack(t, dir)
	if err := os.WriteFile(filepath.Join(dir, rf), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Only the test files that load rf can notice the change; with none,
	// the change would pass for caught without any test failing.
	tests := testsOf(dir, rf)
	if len(tests) == 0 {
		t.Fatalf("no test of the pack loads %s", rf)
	}
	var out bytes.Buffer
	if failed, _ := rulestest.Run(tests, &out); !failed {
		t.Errorf("the change survived: no test fails")
	}
}

// copyPack copies the pack and its test site into dir.
func copyPack(t *testing.T, dir string) {
	files, _ := filepath.Glob("*.yaml")
	files = append(files, "testdata/community.yaml")
	if err := os.MkdirAll(filepath.Join(dir, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// mutate returns a value moved down and up: numbers by max(0.2, 5 %),
// durations halved and one and a half times, times of day by an hour.
func mutate(val string) []string {
	v := strings.Trim(val, `"`)
	if h, m, ok := strings.Cut(v, ":"); ok {
		hh, _ := strconv.Atoi(h)
		return []string{fmt.Sprintf(`"%02d:%s"`, (hh+23)%24, m), fmt.Sprintf(`"%02d:%s"`, (hh+1)%24, m)}
	}
	if d, err := time.ParseDuration(v); err == nil && strings.ContainsAny(v, "smh") {
		return []string{(d / 2).String(), (d * 3 / 2).String()}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil
	}
	delta := max(0.2, f*0.05)
	return []string{strconv.FormatFloat(f-delta, 'f', -1, 64), strconv.FormatFloat(f+delta, 'f', -1, 64)}
}

// TestPackOnDemoSite validates the pack against the demo community, so
// that `facmon check` of the demo site with these rules passes.
func TestPackOnDemoSite(t *testing.T) {
	s, err := site.Load("../sites/demo.yaml")
	if err != nil {
		t.Skipf("demo site does not load: %v", err)
	}
	site.AddSelf(s) // as facmon does: the self-check devices
	paths, _ := filepath.Glob("*.yaml")
	paths = slices.DeleteFunc(paths, func(p string) bool { return strings.HasSuffix(p, "_test.yaml") })
	files, err := rules.Load(paths...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rules.Validate(files, s); err != nil {
		t.Fatalf("seed rules on the demo site:\n%v", err)
	}
}
