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
// it at the world's time; an unplugged device reports only that it is
// offline.
func points(s *site.Site, w *World) []collectors.Point {
	var out []collectors.Point
	for _, d := range s.Devices {
		if w.Unplugged(d.ID) {
			out = append(out, collectors.Point{Site: s.ID, Area: d.Area, Kind: d.Kind, Device: d.ID, Signal: collectors.StatusSignal,
				Value: float64(collectors.Offline), Quality: collectors.Bad, Time: w.Now()})
			continue
		}
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
		{MainsOutage, 30 * time.Minute, []string{"mains-lost/mains-1", "generator-running/generator-1", "ups-on-battery/ups-1", "ups-on-battery/ups-2"}},
		// The tank runs dry: its booster stops and the supply pressure is lost.
		{TankDrain, 4 * time.Hour, []string{"domestic-tank-low/domestic-tank-1", "booster-pressure-low/booster-pump-1"}},
		{Intrusion, 5 * time.Minute, []string{"perimeter-zone-alarm/north-wall-1", "perimeter-zone-alarm/north-wall-2"}},
		{BinFill, 2 * time.Hour, nil}, // filled below
		{Flood, 5 * time.Minute, []string{"flood-detected/flood-pump-room", "elevator-pit-water/elevator-pit-1"}},
		{FireAlarm, time.Minute, []string{"fire-alarm/fire-panel-1", "access-doors-released/access-controller-1"}},
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

// TestEachRuleFiresOnTheDemo plays each equipment scenario on the demo
// community through the seed rule pack, on the simulator's clock, and
// checks that it raises the rules it was made for and no others; the
// rules of the standard that only these scenarios exercise are thereby
// shown on the demo (each rule of the pack fires in some scenario).
func TestEachRuleFiresOnTheDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("plays simulated hours")
	}
	morning := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC) // 08:00 in Shanghai
	evening := morning.Add(13 * time.Hour)                  // 21:00 in Shanghai
	tests := []struct {
		scenario string
		start    time.Time
		span     time.Duration
		want     []string
	}{
		{TankClean, morning, 4 * time.Hour, []string{"domestic-tank-low/domestic-tank-1",
			"domestic-tanks-both-low/domestic-tank-1+domestic-tank-2", "booster-pressure-low/booster-pump-1"}},
		{FountainTimer, morning, 14*time.Hour + 10*time.Minute, []string{"fountain-timer-on-after-hours/fountain-1"}},
		{PressureDrop, morning, 5 * time.Minute, []string{"booster-pressure-low/booster-pump-1"}},
		{FireLeak, morning, 4 * time.Hour, []string{"fire-makeup-leak/water-meter-fire"}},
		{FireValve, morning, 5 * time.Minute, []string{"fire-supervisory/fire-panel-1", "fire-valve-closed/fire-valve-1"}},
		{GeneratorLow, morning, 10 * time.Minute, []string{"generator-fuel-low/generator-1", "generator-battery-low/generator-1"}},
		{UPSFault, morning, 10 * time.Minute, []string{"ups-fault/ups-1", "ups-runtime-low/ups-1", "access-ups-runtime-short/ups-2"}},
		{DoorForced, morning, 2 * time.Minute, []string{"door-forced/door-b1-roof", "door-held-open/door-b1-roof"}},
		{NVRFault, morning, 15 * time.Minute, []string{"nvr-disk-fault/nvr-1", "camera-video-loss/cam-north-1", "camera-offline/cam-north-2",
			"nvr-not-recording/nvr-1", "nvr-retention-short/nvr-1"}},
		{IntercomFault, morning, time.Minute, []string{"intercom-offline/intercom-gate", "intercom-line-fault/intercom-b1"}},
		{Rainstorm, morning, 15 * time.Minute, []string{"basement-roof-leak/leak-garage-roof", "garden-waterlogging/flood-garden"}},
		{VentilationFault, morning, 15 * time.Minute, []string{"fan-fault/fan-pump-room", "room-humidity-high/room-pump-room", "refuse-station-hot/room-refuse-station"}},
		{HomeAlarm, morning, time.Minute, []string{"home-alarm-emergency/home-b3-1201", "home-alarm-smoke/home-b2-302", "home-alarm-gas/home-b1-101"}},
		{LightingFault, morning, 16 * time.Hour, []string{"lights-on-in-daylight/lighting-landscape", "half-night-lights-late/lighting-landscape"}},
		{BinFill, evening, 90 * time.Minute, nil}, // checked below: the station is not cleared the same day
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			got := raisedRules(t, tc.start, tc.scenario, tc.span)
			if tc.scenario == BinFill {
				for _, want := range []string{"bin-full/bin-b1-1", "station-two-thirds-full/bin-station-1", "station-not-cleared-same-day/bin-station-1"} {
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
