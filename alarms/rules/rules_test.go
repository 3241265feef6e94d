package rules

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facmon/internal/site"
)

var update = flag.Bool("update", false, "rewrite the golden .err files")

// testSite is a small site built by hand.
func testSite() *site.Site {
	return &site.Site{ID: "s", Location: time.UTC,
		Areas: []site.Area{{ID: "pump-room"}},
		Devices: []site.Device{
			{ID: "tank-1", Kind: "water_tank", Area: "pump-room", Signals: []site.Signal{{Name: "level", Type: site.Analog}}},
			{ID: "tank-2", Kind: "water_tank", Area: "pump-room", Signals: []site.Signal{{Name: "level", Type: site.Analog}}},
			{ID: "gen-1", Kind: "generator", Area: "pump-room", Signals: []site.Signal{
				{Name: "mains_ok", Type: site.State}, {Name: "running", Type: site.State}, {Name: "on_generator", Type: site.State}}},
		}}
}

// load parses and validates a file against testSite.
func load(name string, data []byte) (*Set, error) {
	f, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	return Validate([]*File{f}, testSite())
}

// TestBadFiles checks each testdata/bad-<reason>.yaml against the exact
// messages in bad-<reason>.err.
func TestBadFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad-*.yaml")
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = load(f, data)
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("got %v, want Errors", err)
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				os.WriteFile(golden, []byte(err.Error()+"\n"), 0o644)
			}
			want, _ := os.ReadFile(golden)
			if got := err.Error() + "\n"; got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestGoodFile(t *testing.T) {
	const good = `
rules:
  - name: tanks-low
    severity: critical
    cite: 篇3·十四·3
    select: {kind: water_tank, all: true}
    signal: level
    message: '{{.DeviceName}} {{printf "%.1f" .Value}}'
    action: '派人到{{.DeviceName}}查看'
    labels: {system: water}
    schedule: [{from: "22:00", to: "06:00"}]
    threshold: {below: 1, deadband: 0.1, on_delay: 30s, off_delay: 1m}
  - name: gen-start
    severity: critical
    cite: 篇3·十五·7
    select: {device: gen-1}
    sequence: {fault: fail_to_start, d1: 30s}
maintenance:
  - {name: m, cite: 篇2, select: {device: tank-1}, from: "00:00", to: "05:00"}
`
	set, err := load("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	r := set.Rules[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"devices", strings.Join(r.Devices, ","), "tank-1,tank-2"},
		{"kind", r.Kind(), "threshold"},
		{"action rendered", r.RenderTodo(&Data{DeviceName: "消防水箱1"}), "派人到消防水箱1查看"},
		{"no action", set.Rules[1].RenderTodo(&Data{DeviceName: "x"}), ""},
		{"on_delay", time.Duration(r.Threshold.OnDelay), 30 * time.Second},
		{"window past midnight holds 23:00", r.Schedule[0].Contains(23 * 60), true},
		{"window past midnight excludes 06:00", r.Schedule[0].Contains(6 * 60), false},
		{"default mains signal", set.Rules[1].Sequence.Mains, "mains_ok"},
		{"maintenance devices", strings.Join(set.Maintenance[0].Devices, ","), "tank-1"},
		{"position", r.Pos.String(), "good.yaml:3:5"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

func TestLoadReportsEveryFile(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	os.WriteFile(a, []byte("rules:\n  - name: x\n"), 0o644)
	os.WriteFile(b, []byte("rulez: []\n"), 0o644)
	_, err := Load(a, b, filepath.Join(dir, "missing.yaml"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) < 3 {
		t.Fatalf("got %v", err)
	}
	for _, f := range []string{"a.yaml", "b.yaml", "missing.yaml"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("no error names %s:\n%v", f, err)
		}
	}
}

func TestForSite(t *testing.T) {
	dir := t.TempDir()
	rule := "rules:\n  - {name: a, severity: major, cite: x, select: {kind: water_tank}, signal: level, threshold: {below: 1}}\n"
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(rule), 0o644)
	os.WriteFile(filepath.Join(dir, "a_test.yaml"), []byte("not rules"), 0o644)
	s := testSite()
	siteFile := filepath.Join(dir, "site.yaml")
	s.Rules = []string{"*.yaml"}
	set, err := ForSite(siteFile, s)
	if err != nil || len(set.Rules) != 1 {
		t.Fatalf("got %v, %v", set, err)
	}
	s.Rules = []string{"nope/*.yaml"}
	if _, err := ForSite(siteFile, s); err == nil || !strings.Contains(err.Error(), "no rule file matches") {
		t.Fatalf("got %v", err)
	}
}

func TestExampleFile(t *testing.T) {
	data, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load("testdata/example.yaml", data); err != nil {
		t.Fatal(err)
	}
}
