package rules

import (
	"path/filepath"
	"slices"
	"strings"

	"facmon/internal/site"
)

// ForSite loads and validates the rule files a site file names (its
// `rules:` paths or globs, relative to the site file; *_test.yaml files are
// rule tests and skipped). A pattern that matches nothing is an error at
// the site file.
func ForSite(siteFile string, s *site.Site) (*Set, error) {
	paths, err := Expand(siteFile, s.Rules)
	if err != nil {
		return nil, err
	}
	files, err := Load(paths...)
	if err != nil {
		return nil, err
	}
	return Validate(files, s)
}

// Expand resolves rule-file patterns relative to the site file's
// directory, in order, without repeats and without *_test.yaml.
func Expand(siteFile string, patterns []string) ([]string, error) {
	var out []string
	var errs Errors
	for _, p := range patterns {
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(siteFile), p)
		}
		matches, err := filepath.Glob(p)
		if err != nil || len(matches) == 0 {
			errs = append(errs, Error{Pos: Pos{File: siteFile}, Msg: "rules: " + p + ": no rule file matches"})
			continue
		}
		for _, m := range matches {
			if !strings.HasSuffix(m, "_test.yaml") && !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}
