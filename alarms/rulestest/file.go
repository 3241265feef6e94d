package rulestest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"facmon/alarms/rules"
	"facmon/internal/site"
)

// testFile is one rule test file.
type testFile struct {
	// RuleFiles are the rule files under test, relative to the test file.
	RuleFiles []string `yaml:"rule_files"`
	// Site is a site-file path (relative to the test file) or an inline
	// site.
	Site yaml.Node `yaml:"site"`
	// Start is the simulated time of step 0: RFC 3339, or "HH:MM" on
	// 2026-01-05 (a Monday) in the site's time zone; default 00:00.
	Start string `yaml:"start"`
	// Interval is the time between steps of a series; default 1m.
	Interval rules.Duration `yaml:"interval"`
	Tests    []testCase     `yaml:"tests"`
}

// testCase is one named test: input series, acks and expectations.
type testCase struct {
	Name     string         `yaml:"name"`
	Start    string         `yaml:"start"`
	Interval rules.Duration `yaml:"interval"`
	Series   []series       `yaml:"input_series"`
	Acks     []ack          `yaml:"acks"`
	Expect   []eval         `yaml:"expect"`
}

// series is the input of one device's signal.
type series struct {
	Device string `yaml:"device"`
	// Signal defaults to the status signal when only markers are given.
	Signal string `yaml:"signal"`
	// Values is the series notation, one token per interval.
	Values string `yaml:"values"`
	// Samples are explicit timed points.
	Samples []sample `yaml:"samples"`
}

// sample is one explicit timed point: a value or a status marker.
type sample struct {
	At     rules.Duration `yaml:"at"`
	Value  string         `yaml:"value"`
	Status string         `yaml:"status"`
}

// ack acknowledges the alarm of (rule, device) at a time.
type ack struct {
	At     rules.Duration `yaml:"at"`
	Rule   string         `yaml:"rule"`
	Device string         `yaml:"device"`
	By     string         `yaml:"by"`
}

// eval is the set of alarms expected at a time: every alarm that is not
// normal (of Rule, when given) must be listed, and nothing else.
type eval struct {
	At     rules.Duration `yaml:"at"`
	Rule   string         `yaml:"rule"`
	Alarms []expected     `yaml:"alarms"`
}

// expected is one expected alarm.
type expected struct {
	Rule   string `yaml:"rule"`
	Device string `yaml:"device"`
	State  string `yaml:"state"`
	// Hold is "maintenance" for an alarm held back by a maintenance window.
	Hold string `yaml:"hold"`
	// Severity, when given, must equal the alarm's severity (critical,
	// major, minor, warning): it decides the sound, the popup and the
	// escalation.
	Severity string `yaml:"severity"`
	// Message, when given, must equal the alarm's rendered message.
	Message string `yaml:"message"`
}

// readTestFile decodes a test file strictly.
func readTestFile(path string) (*testFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var tf testFile
	if err := dec.Decode(&tf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(tf.RuleFiles) == 0 {
		return nil, fmt.Errorf("%s: rule_files missing", path)
	}
	return &tf, nil
}

// loadSite loads the test file's site: a path or an inline mapping, with
// the self-check devices facmon adds to every site.
func loadSite(path string, n *yaml.Node) (*site.Site, error) {
	s, err := loadSiteNode(path, n)
	if err == nil {
		site.AddSelf(s)
	}
	return s, err
}

func loadSiteNode(path string, n *yaml.Node) (*site.Site, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return site.Load(filepath.Join(filepath.Dir(path), n.Value))
	case yaml.MappingNode:
		b, err := yaml.Marshal(n)
		if err != nil {
			return nil, err
		}
		return site.Parse(path+" (inline site, line "+fmt.Sprint(n.Line)+")", b)
	}
	return nil, fmt.Errorf("%s: site missing: give a site-file path or an inline site", path)
}

// loadRules loads and validates the test file's rule files.
func loadRules(path string, tf *testFile, s *site.Site) (*rules.Set, error) {
	paths := make([]string, len(tf.RuleFiles))
	for i, f := range tf.RuleFiles {
		paths[i] = filepath.Join(filepath.Dir(path), f)
	}
	files, err := rules.Load(paths...)
	if err != nil {
		return nil, err
	}
	return rules.Validate(files, s)
}

// startTime resolves a start: RFC 3339, "HH:MM" on 2026-01-05 in loc, or
// the default (00:00).
func startTime(s string, loc *time.Location) (time.Time, error) {
	base := time.Date(2026, 1, 5, 0, 0, 0, 0, loc)
	if s == "" {
		return base, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	var c rules.Clock
	if err := c.UnmarshalText([]byte(s)); err != nil {
		return time.Time{}, fmt.Errorf("start %q: want RFC 3339 or HH:MM", s)
	}
	return base.Add(time.Duration(c) * time.Minute), nil
}
