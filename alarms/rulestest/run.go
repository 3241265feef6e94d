package rulestest

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"facmon/alarms"
	"facmon/alarms/engine"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/internal/site"
)

// Run runs every test file and writes a readable report to out. failed is
// true when any test failed or any file could not be loaded (its rules are
// broken, its site is missing); err is set only when no file was given.
func Run(files []string, out io.Writer) (failed bool, err error) {
	r, err := RunWith(Options{Files: files}, out)
	return r.Failed, err
}

// Options are what RunWith runs.
type Options struct {
	// Files are the test files.
	Files []string
	// Site, when set, is a site file the rules under test must fit: each
	// must validate against it and select at least one of its devices.
	Site string
}

// Report is the outcome of RunWith.
type Report struct {
	// Failed is true when a test failed, a file could not be loaded, or a
	// rule does not fit Options.Site.
	Failed bool
	// Uncovered lists the rules under test that no passing expectation
	// raises and clears with its severity asserted ("file:line: rule
	// \"x\": never cleared"); the pack's own test requires none.
	Uncovered []string
}

// RunWith runs the test files, then checks the rules against the site of
// o.Site, and writes a readable report to out, ending with the coverage.
func RunWith(o Options, out io.Writer) (Report, error) {
	if len(o.Files) == 0 {
		return Report{Failed: true}, errors.New("rules test: no test files given")
	}
	var rep Report
	cov := newCoverage()
	for _, f := range o.Files {
		if !runFile(f, out, cov) {
			rep.Failed = true
		}
	}
	if o.Site != "" && !checkSite(o.Site, cov.ruleFiles(), out) {
		rep.Failed = true
	}
	rep.Uncovered = cov.report(out)
	return rep, nil
}

// runFile runs one test file and reports whether it passed.
func runFile(path string, out io.Writer, cov *coverage) bool {
	tf, s, set, err := loadAll(path)
	if err != nil {
		fmt.Fprintf(out, "FAIL %s: cannot load:\n%s\n", path, indent(err.Error()))
		return false
	}
	cov.addRules(set)
	ok := true
	for i := range tf.Tests {
		tc := &tf.Tests[i]
		if problems := runTest(tf, tc, s, set); len(problems) > 0 {
			ok = false
			fmt.Fprintf(out, "FAIL %s: test %q:\n%s\n", path, tc.Name, indent(strings.Join(problems, "\n")))
			continue
		}
		cov.addTest(tc, set)
	}
	if ok {
		fmt.Fprintf(out, "PASS %s (%d tests)\n", path, len(tf.Tests))
	}
	return ok
}

// loadAll reads a test file, its site and its rules.
func loadAll(path string) (*testFile, *site.Site, *rules.Set, error) {
	tf, err := readTestFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := loadSite(path, &tf.Site)
	if err != nil {
		return nil, nil, nil, err
	}
	set, err := loadRules(path, tf, s)
	return tf, s, set, err
}

// indent indents every line by two spaces.
func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// event is one thing that happens on the simulated clock. Points come
// before acks before checks at the same time.
type event struct {
	at    time.Time
	order int // 0 point, 1 ack, 2 check
	seq   int
	point collectors.Point
	ack   *ack
	eval  *eval
}

// runTest runs one test on a fresh engine and returns its problems.
func runTest(tf *testFile, tc *testCase, s *site.Site, set *rules.Set) []string {
	loc := cmp.Or(s.Location, time.UTC)
	start, err := startTime(cmp.Or(tc.Start, tf.Start), loc)
	if err != nil {
		return []string{err.Error()}
	}
	interval := time.Duration(cmp.Or(tc.Interval, tf.Interval, rules.Duration(time.Minute)))
	evs, problems := timeline(tc, s, start, interval)
	if len(problems) > 0 {
		return problems
	}
	e := engine.New(engine.Options{Rules: set})
	for _, ev := range evs {
		problems = append(problems, step(e, &ev)...)
	}
	return problems
}

// step plays one event on the engine.
func step(e *engine.Engine, ev *event) []string {
	switch {
	case ev.ack != nil:
		e.Advance(ev.at)
		return ackAlarm(e, ev.ack, ev.at)
	case ev.eval != nil:
		e.Advance(ev.at)
		return check(e, ev.eval)
	}
	e.Process([]collectors.Point{ev.point})
	return nil
}

// ackAlarm acknowledges the alarm of (rule, device).
func ackAlarm(e *engine.Engine, a *ack, t time.Time) []string {
	for _, al := range e.Alarms() {
		if al.Rule == a.Rule && al.Device == a.Device {
			if _, ok := e.Ack(al.ID, cmp.Or(a.By, "test"), t); ok {
				return nil
			}
		}
	}
	return []string{fmt.Sprintf("at %s: ack: no alarm of rule %q on %q awaits an ack", time.Duration(a.At), a.Rule, a.Device)}
}

// check compares the engine's alarms with the expected ones.
func check(e *engine.Engine, ev *eval) []string {
	var got, want []string
	all := e.Alarms()
	for _, al := range all {
		if ev.Rule == "" || al.Rule == ev.Rule {
			got = append(got, alarmLine(al.Rule, al.Device, al.State.String(), al.Hold))
		}
	}
	problems := checkDetails(time.Duration(ev.At), all, ev.Alarms)
	for _, x := range ev.Alarms {
		st, err := alarms.ParseState(cmp.Or(x.State, "active-unacknowledged"))
		if err != nil {
			return []string{fmt.Sprintf("at %s: %v", time.Duration(ev.At), err)}
		}
		h := alarms.NotHeld
		if x.Hold == "maintenance" {
			h = alarms.Maintenance
		}
		want = append(want, alarmLine(x.Rule, x.Device, st.String(), h))
	}
	return append(diff(time.Duration(ev.At), ev.Rule, got, want), problems...)
}

// checkDetails compares the severities and messages the test expects.
func checkDetails(at time.Duration, got []engine.Alarm, want []expected) []string {
	var out []string
	for _, w := range want {
		if _, err := alarms.ParseSeverity(w.Severity); w.Severity != "" && err != nil {
			out = append(out, fmt.Sprintf("at %s, %s on %s: %v", at, w.Rule, w.Device, err))
		}
		for _, g := range got {
			if g.Rule != w.Rule || g.Device != w.Device {
				continue
			}
			if w.Severity != "" && g.Severity.String() != w.Severity {
				out = append(out, fmt.Sprintf("at %s, %s on %s: severity\n  - want %s\n  + got  %s", at, w.Rule, w.Device, w.Severity, g.Severity))
			}
			if w.Message != "" && g.Message != w.Message {
				out = append(out, fmt.Sprintf("at %s, %s on %s: message\n  - want %q\n  + got  %q", at, w.Rule, w.Device, w.Message, g.Message))
			}
		}
	}
	return out
}

// alarmLine is one alarm as the diff shows it.
func alarmLine(rule, device, state string, h alarms.Hold) string {
	s := fmt.Sprintf("%s on %s: %s", rule, device, state)
	if h != alarms.NotHeld {
		s += " (held: " + h.String() + ")"
	}
	return s
}

// diff returns a readable difference between got and want, or nil.
func diff(at time.Duration, rule string, got, want []string) []string {
	slices.Sort(got)
	slices.Sort(want)
	if slices.Equal(got, want) {
		return nil
	}
	scope := "alarms"
	if rule != "" {
		scope = "alarms of rule " + rule
	}
	lines := []string{fmt.Sprintf("at %s, %s:", at, scope)}
	for _, w := range want {
		if !slices.Contains(got, w) {
			lines = append(lines, "  - want "+w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			lines = append(lines, "  + got  "+g)
		}
	}
	if len(got) == 0 {
		lines = append(lines, "    (got no alarms)")
	}
	return lines
}
