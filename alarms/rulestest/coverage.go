package rulestest

import (
	"fmt"
	"io"
	"slices"

	"facmon/alarms/rules"
)

// coverage records, per rule under test, whether a passing test raised it
// and cleared it, with its severity asserted. A rule is known by its file
// and name, so a rule file loaded by several test files counts once.
type coverage struct {
	rules   []*rules.Rule
	seen    map[string]bool // file + name of rules already listed
	raised  map[string]bool // file + name → raised with severity asserted
	cleared map[string]bool // file + name → seen cleared
}

func newCoverage() *coverage {
	return &coverage{seen: map[string]bool{}, raised: map[string]bool{}, cleared: map[string]bool{}}
}

// addRules lists the rules of a loaded set.
func (c *coverage) addRules(set *rules.Set) {
	for _, r := range set.Rules {
		if k := ruleKey(r); !c.seen[k] {
			c.seen[k] = true
			c.rules = append(c.rules, r)
		}
	}
}

func ruleKey(r *rules.Rule) string { return r.File + "\x00" + r.Name }

// addTest records the expectations of a passing test of set.
func (c *coverage) addTest(tc *testCase, set *rules.Set) {
	file := map[string]string{}
	for _, r := range set.Rules {
		file[r.Name] = r.File
	}
	for _, ev := range tc.Expect {
		for _, x := range ev.Alarms {
			k := file[x.Rule] + "\x00" + x.Rule
			if x.Severity != "" {
				c.raised[k] = true
			}
			if x.State == "cleared-unacknowledged" {
				c.cleared[k] = true
			}
		}
	}
}

// ruleFiles returns the rule files under test, in order.
func (c *coverage) ruleFiles() []string {
	var out []string
	for _, r := range c.rules {
		if !slices.Contains(out, r.File) {
			out = append(out, r.File)
		}
	}
	return out
}

// report writes the coverage and returns the gaps.
func (c *coverage) report(out io.Writer) []string {
	var gaps []string
	for _, r := range c.rules {
		k := ruleKey(r)
		switch {
		case !c.raised[k] && !c.cleared[k]:
			gaps = append(gaps, fmt.Sprintf("%s: rule %q: no test raises it with its severity asserted, none clears it", r.Pos, r.Name))
		case !c.raised[k]:
			gaps = append(gaps, fmt.Sprintf("%s: rule %q: no test raises it with its severity asserted", r.Pos, r.Name))
		case !c.cleared[k]:
			gaps = append(gaps, fmt.Sprintf("%s: rule %q: no test clears it", r.Pos, r.Name))
		}
	}
	if len(c.rules) == 0 {
		return nil
	}
	fmt.Fprintf(out, "coverage: %d of %d rules raised (severity asserted) and cleared by a passing test\n", len(c.rules)-len(gaps), len(c.rules))
	for _, g := range gaps {
		fmt.Fprintln(out, "  "+g)
	}
	return gaps
}
