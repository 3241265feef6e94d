package rules

import (
	"strings"
	"testing"
	"time"

	"facmon/internal/site"
)

// stateSite has two zones whose alarm signal names its states, one of them
// numbered differently, and a door whose contact names none.
func stateSite() *site.Site {
	zone := func(id string, alarm int) site.Device {
		return site.Device{ID: id, Kind: "perimeter_zone", Area: "wall", Labels: map[string]string{"wall": id[:1]},
			Signals: []site.Signal{{Name: "alarm", Type: site.State, States: map[int]string{0: "normal", alarm: "alarm"}}}}
	}
	return &site.Site{ID: "s", Location: time.UTC, Areas: []site.Area{{ID: "wall"}},
		Devices: []site.Device{zone("n1", 1), zone("n2", 1), zone("s1", 2),
			{ID: "door-1", Kind: "door", Area: "wall", Signals: []site.Signal{{Name: "open", Type: site.State}}}}}
}

func validateText(t *testing.T, text string) (*Set, error) {
	t.Helper()
	f, err := Parse("r.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return Validate([]*File{f}, stateSite())
}

// TestStateNames: `equals: alarm` is the number the site file gives the
// state on every selected device.
func TestStateNames(t *testing.T) {
	set, err := validateText(t, `
rules:
  - {name: a, severity: critical, cite: x, select: {kind: perimeter_zone, labels: {wall: n}}, signal: alarm, state: {equals: alarm}}
  - {name: b, severity: critical, cite: x, select: {device: s1}, signal: alarm, state: {changes_to: alarm}}
  - {name: c, severity: minor, cite: x, select: {device: s1}, signal: alarm, deadline: {equals: alarm, within: 1m}}
  - {name: d, severity: minor, cite: x, select: {device: n1}, signal: alarm, state: {equals: 1}}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 2, 2, 1}
	got := []float64{set.Rules[0].State.Equals.Value, set.Rules[1].State.ChangesTo.Value,
		set.Rules[2].Deadline.Equals.Value, set.Rules[3].State.Equals.Value}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("rule %s: value %v, want %v", set.Rules[i].Name, got[i], want[i])
		}
	}
}

func TestStateNameErrors(t *testing.T) {
	for name, tc := range map[string]struct{ rule, want string }{
		"unknown name": {`{name: a, severity: critical, cite: x, select: {device: n1}, signal: alarm, state: {equals: alarmed}}`,
			`r.yaml:3:88: rule "a": device "n1": signal "alarm" has no state "alarmed" (states: 0 normal, 1 alarm)`},
		"no states": {`{name: a, severity: critical, cite: x, select: {device: door-1}, signal: open, state: {equals: open}}`,
			`device "door-1": signal "open" has no state "open" (states: none named)`},
		"different numbers": {`{name: a, severity: critical, cite: x, select: {kind: perimeter_zone}, signal: alarm, state: {equals: alarm}}`,
			`state "alarm" stands for different values on the selected devices (1 on n1, n2; 2 on s1)`},
		"not a name": {`{name: a, severity: critical, cite: x, select: {device: n1}, signal: alarm, state: {equals: "al arm"}}`,
			`bad state "al arm"`},
	} {
		t.Run(name, func(t *testing.T) {
			f, err := Parse("r.yaml", []byte("\nrules:\n  - "+tc.rule+"\n"))
			if err == nil {
				_, err = Validate([]*File{f}, stateSite())
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestIdle: a rule whose kind or labels select nothing on the site is
// idle; Idle names it, and nothing else.
func TestIdle(t *testing.T) {
	set, err := validateText(t, `
rules:
  - {name: zones, severity: critical, cite: x, select: {kind: perimeter_zone}, signal: alarm, state: {equals: 1}}
  - {name: tanks, severity: critical, cite: x, select: {kind: water_tank}, signal: level, threshold: {below: 1}}
  - {name: south, severity: critical, cite: x, select: {kind: perimeter_zone, labels: {wall: w}}, signal: alarm, state: {equals: 1}}
maintenance:
  - {name: m, cite: x, select: {kind: elevator}, from: "00:00", to: "05:00"}
`)
	if err != nil {
		t.Fatal(err)
	}
	idle, ms := set.Idle()
	var names []string
	for _, r := range idle {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "tanks,south" || len(ms) != 1 || ms[0].Name != "m" {
		t.Errorf("idle rules %v, windows %d; want tanks,south and window m", names, len(ms))
	}
}
