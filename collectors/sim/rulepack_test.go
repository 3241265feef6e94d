package sim

import (
	"slices"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/alarms/engine"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/internal/site"
)

const demoFile = "../../seeds/sites/demo.yaml"

// points is every signal of every device as the collectors would report
// it at the world's time.
func points(s *site.Site, w *World) []collectors.Point {
	var out []collectors.Point
	for _, d := range s.Devices {
		for _, sg := range d.Signals {
			v, _ := w.Value(d.ID, sg.Name)
			out = append(out, collectors.Point{Site: s.ID, Area: d.Area, Kind: d.Kind, Device: d.ID, Signal: sg.Name,
				Value: v, Bool: sg.Type == site.State, Quality: collectors.Good, Time: w.Now()})
		}
	}
	return out
}

// raisedRules plays the demo's world through the seed rule pack from
// start for span, every 10 s, after triggering the scenario, and returns
// the rules that raised an alarm (rule/device), in order.
func raisedRules(t *testing.T, start time.Time, scenario string, span time.Duration) []string {
	t.Helper()
	s, err := site.Load(demoFile)
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.ForSite(demoFile, s)
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(engine.Options{Rules: set})
	w := NewWorld(s, start)
	var raised []string
	note := func(trs []alarms.Transition) {
		for _, tr := range trs {
			if k := tr.Rule + "/" + tr.Device; tr.Change == alarms.Raise && !slices.Contains(raised, k) {
				raised = append(raised, k)
			}
		}
	}
	note(e.Process(points(s, w)))
	if err := w.Trigger(scenario); err != nil {
		t.Fatal(err)
	}
	for at := start.Add(10 * time.Second); !at.After(start.Add(span)); at = at.Add(10 * time.Second) {
		w.Step(at)
		note(e.Advance(at))
		note(e.Process(points(s, w)))
	}
	return raised
}

// TestRulePackOnTheDemo checks the demo site against the seed rule pack:
// a normal day raises nothing, and each scenario raises the alarms it is
// for, and no others.
func TestRulePackOnTheDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("plays simulated days")
	}
	morning := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC) // 08:00 in Shanghai
	tests := []struct {
		scenario string
		span     time.Duration
		want     []string
	}{
		{Normal, 24 * time.Hour, nil},
		{MainsOutage, 30 * time.Minute, []string{"ups-on-battery/ups-1"}},
		{TankDrain, 4 * time.Hour, []string{"domestic-tank-low/domestic-tank-1"}},
		{Intrusion, 5 * time.Minute, []string{"perimeter-zone-alarm/north-wall-1", "perimeter-zone-alarm/north-wall-2"}},
		{BinFill, 2 * time.Hour, nil}, // filled below
		{Flood, 5 * time.Minute, []string{"flood-detected/flood-pump-room", "elevator-pit-water/elevator-pit-1"}},
		{FireAlarm, time.Minute, []string{"fire-alarm/fire-panel-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			got := raisedRules(t, morning, tc.scenario, tc.span)
			if tc.scenario == BinFill {
				for _, want := range []string{"bin-two-thirds-full/bin-b1-1", "bin-not-emptied-1h/bin-b1-1"} {
					if !slices.Contains(got, want) {
						t.Errorf("raised %v, want %s among them", got, want)
					}
				}
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("raised %v, want %v", got, tc.want)
			}
		})
	}
}
