package rulestest

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	cases := []struct {
		name       string
		file       string
		wantFailed bool
		golden     string
	}{
		{"passing", "testdata/pass_test.yaml", false, "testdata/pass.out"},
		{"failing shows a diff", "testdata/fail_test.yaml", true, "testdata/fail.out"},
		{"broken rule file", "testdata/broken_test.yaml", true, "testdata/broken.out"},
		{"missing file", "testdata/nope_test.yaml", true, "testdata/nope.out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			failed, err := Run([]string{c.file}, &out)
			if err != nil || failed != c.wantFailed {
				t.Fatalf("failed=%v err=%v, want failed=%v\n%s", failed, err, c.wantFailed, out.String())
			}
			if os.Getenv("UPDATE") != "" {
				os.WriteFile(c.golden, out.Bytes(), 0o644)
			}
			want, _ := os.ReadFile(c.golden)
			if out.String() != string(want) {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
			}
		})
	}
}

// TestRunSite: with --site, a rule that selects no device of that site is
// a failure, though its tests pass; without it, the run passes.
func TestRunSite(t *testing.T) {
	for _, tc := range []struct {
		site       string
		wantFailed bool
		golden     string
	}{
		{"", false, "testdata/idle.out"},
		{"testdata/site/other.yaml", true, "testdata/idle-site.out"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var out bytes.Buffer
			rep, err := RunWith(Options{Files: []string{"testdata/idle_test.yaml"}, Site: tc.site}, &out)
			if err != nil || rep.Failed != tc.wantFailed {
				t.Fatalf("failed=%v err=%v, want failed=%v\n%s", rep.Failed, err, tc.wantFailed, out.String())
			}
			if os.Getenv("UPDATE") != "" {
				os.WriteFile(tc.golden, out.Bytes(), 0o644)
			}
			want, _ := os.ReadFile(tc.golden)
			if out.String() != string(want) {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
			}
		})
	}
}

// TestCoverage: a rule raised with its severity asserted and cleared is
// covered; one only raised, or raised without a severity, is a gap.
func TestCoverage(t *testing.T) {
	var out bytes.Buffer
	rep, err := RunWith(Options{Files: []string{"testdata/pass_test.yaml", "testdata/idle_test.yaml"}}, &out)
	if err != nil || rep.Failed {
		t.Fatalf("failed=%v err=%v\n%s", rep.Failed, err, out.String())
	}
	want := []string{`testdata/idle.yaml:2:5: rule "tank-low": no test raises it with its severity asserted, none clears it`}
	if !slices.Equal(rep.Uncovered, want) {
		t.Errorf("uncovered %q, want %q", rep.Uncovered, want)
	}
}

func TestRunNoFiles(t *testing.T) {
	if failed, err := Run(nil, &bytes.Buffer{}); !failed || err == nil || !strings.Contains(err.Error(), "no test files") {
		t.Fatalf("failed=%v err=%v", failed, err)
	}
}

// FuzzTestFile runs arbitrary test files against testdata/tank.yaml: the
// runner must report, never panic. Seeds: testdata/fuzz/FuzzTestFile.
func FuzzTestFile(f *testing.F) {
	pass, _ := os.ReadFile("testdata/pass_test.yaml")
	f.Add(pass)
	rule, _ := os.ReadFile("testdata/tank.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		os.WriteFile(dir+"/tank.yaml", rule, 0o644)
		os.WriteFile(dir+"/x_test.yaml", data, 0o644)
		Run([]string{dir + "/x_test.yaml"}, &bytes.Buffer{})
	})
}
