package rulestest

import (
	"fmt"
	"io"

	"facmon/alarms/rules"
	"facmon/internal/site"
)

// checkSite validates the rule files under test against a real site file
// and reports, as failures, every rule or maintenance window that selects
// none of its devices (a kind the site lacks, a label no device carries):
// on that site it could never raise. It reports whether all fit.
func checkSite(path string, ruleFiles []string, out io.Writer) bool {
	s, err := site.Load(path)
	if err != nil {
		fmt.Fprintf(out, "FAIL --site %s: cannot load:\n%s\n", path, indent(err.Error()))
		return false
	}
	site.AddSelf(s)
	files, err := rules.Load(ruleFiles...)
	if err != nil {
		fmt.Fprintf(out, "FAIL --site %s: cannot load the rules:\n%s\n", path, indent(err.Error()))
		return false
	}
	set, err := rules.Validate(files, s)
	if err != nil {
		fmt.Fprintf(out, "FAIL --site %s: the rules do not fit the site:\n%s\n", path, indent(err.Error()))
		return false
	}
	idle, windows := set.Idle()
	for _, r := range idle {
		fmt.Fprintf(out, "FAIL --site %s: %s: rule %q selects no device of site %q\n", path, r.Pos, r.Name, s.ID)
	}
	for _, m := range windows {
		fmt.Fprintf(out, "FAIL --site %s: %s: maintenance %q selects no device of site %q\n", path, m.Pos, m.Name, s.ID)
	}
	if len(idle)+len(windows) > 0 {
		return false
	}
	fmt.Fprintf(out, "PASS --site %s: every rule selects a device of site %q\n", path, s.ID)
	return true
}
