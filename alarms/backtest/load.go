package backtest

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"facmon/alarms/rules"
	"facmon/internal/site"
)

// NewRules loads and validates the proposed rule files a glob names
// (relative to the working directory, *_test.yaml skipped) against s.
func NewRules(s *site.Site, glob string) (*rules.Set, error) {
	matches, err := filepath.Glob(glob)
	if err != nil {
		return nil, fmt.Errorf("--rules %s: %w", glob, err)
	}
	matches = slices.DeleteFunc(matches, func(m string) bool { return strings.HasSuffix(m, "_test.yaml") })
	if len(matches) == 0 {
		return nil, fmt.Errorf("--rules %s: no rule file matches", glob)
	}
	files, err := rules.Load(matches...)
	if err != nil {
		return nil, err
	}
	return rules.Validate(files, s)
}
