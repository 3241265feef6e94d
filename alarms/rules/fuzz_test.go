package rules

import "testing"

// FuzzParse feeds arbitrary bytes to the rule-file parser and the site
// validation: they must return rules or Errors, never panic or hang.
// Seeds: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("rules:\n  - {name: a, severity: major, cite: x, select: {kind: water_tank}, signal: level, threshold: {below: 1}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			if _, ok := err.(Errors); !ok {
				t.Fatalf("error is %T, want Errors", err)
			}
			return
		}
		set, err := Validate([]*File{file}, testSite())
		if err == nil {
			for _, r := range set.Rules {
				r.Render(&Data{Device: "tank-1"})
			}
		}
	})
}
