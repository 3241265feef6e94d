package sim

import (
	"testing"
	"time"

	"facmon/internal/site"
)

// t0 is a Tuesday 10:00 in Shanghai: daylight, pumps in service.
var t0 = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)

func loadDemo(t *testing.T) *site.Site {
	t.Helper()
	s, err := site.Load("../../seeds/sites/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tankSite is one tank of 4 m filled by one pump, drained at 0.5 m/h.
func tankSite() *site.Site {
	return &site.Site{ID: "t", Location: time.UTC, Devices: []site.Device{
		{ID: "tank", Kind: "water_tank", Labels: map[string]string{"sim_demand": "0.5", "sim_height": "4"},
			Signals: []site.Signal{{Name: "level", Type: site.Analog}, {Name: "low_float", Type: site.State}}},
		{ID: "pump", Kind: "pump", Labels: map[string]string{"sim_fills": "tank", "sim_rate": "1.5"},
			Signals: []site.Signal{{Name: "running", Type: site.State}, {Name: "current", Type: site.Analog}}},
	}}
}

func value(t *testing.T, w *World, dev, sig string) float64 {
	t.Helper()
	v, ok := w.Value(dev, sig)
	if !ok {
		t.Fatalf("no signal %s/%s", dev, sig)
	}
	return v
}

func TestTankPhysics(t *testing.T) {
	tests := []struct {
		name    string
		stuck   bool    // the pump cannot run
		level   float64 // start level, m
		after   time.Duration
		want    float64 // level after, m (±0.01)
		running float64
	}{
		{"falls with demand while the pump cannot run", true, 3.6, time.Hour, 3.1, 0},
		{"rises while the pump runs", false, 3.0, 30 * time.Minute, 3.5, 1},
		{"pump stops at 90 % and the tank falls again", false, 3.0, time.Hour, 3.4, 0},
		{"pump starts again below 80 %", false, 3.5, 50 * time.Minute, 3.2 + 14.0/60, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWorld(tankSite(), t0)
			w.tanks[0].level = tc.level
			w.tanks[0].fillers[0].stuck = tc.stuck
			w.Step(t0.Add(tc.after))
			got := value(t, w, "tank", "level")
			if got < tc.want-0.02 || got > tc.want+0.02 {
				t.Errorf("level after %v = %.3f m, want %.3f", tc.after, got, tc.want)
			}
			if r := value(t, w, "pump", "running"); r != tc.running {
				t.Errorf("pump running = %v, want %v", r, tc.running)
			}
		})
	}
}

// TestGeneratorFollowsMains walks a mains outage second by second: the
// generator starts GenStartDelay after the loss, the switch transfers
// TransferDelay later, and the generator stops GenRunOn after the mains
// returned (篇3·十五·7).
func TestGeneratorFollowsMains(t *testing.T) {
	w := NewWorld(loadDemo(t), t0)
	if err := w.Trigger(MainsOutage); err != nil {
		t.Fatal(err)
	}
	back := t0.Add(OutageLength)
	steps := []struct {
		at                      time.Time
		present, running, onGen float64
		position, upsOnBattery  float64
	}{
		{t0.Add(time.Second), 0, 0, 0, switchOpen, 1},
		{t0.Add(GenStartDelay - time.Second), 0, 0, 0, switchOpen, 1},
		{t0.Add(GenStartDelay), 0, 1, 0, switchOpen, 1},
		{t0.Add(GenStartDelay + TransferDelay), 0, 1, 1, onGenerator, 0},
		{back.Add(-time.Second), 0, 1, 1, onGenerator, 0},
		{back, 1, 1, 1, onGenerator, 0},
		{back.Add(RetransferDelay), 1, 1, 0, onMains, 0},
		{back.Add(GenRunOn - time.Second), 1, 1, 0, onMains, 0},
		{back.Add(GenRunOn), 1, 0, 0, onMains, 0},
	}
	for _, s := range steps {
		w.Step(s.at)
		got := []float64{value(t, w, "mains-1", "present"), value(t, w, "generator-1", "running"),
			value(t, w, "transfer-switch-1", "on_generator"), value(t, w, "transfer-switch-1", "position"), value(t, w, "ups-1", "on_battery")}
		want := []float64{s.present, s.running, s.onGen, s.position, s.upsOnBattery}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("at +%v: present, running, on_generator, position, on_battery = %v, want %v", s.at.Sub(t0), got, want)
				break
			}
		}
	}
}

func TestCountersOnlyGrow(t *testing.T) {
	w := NewWorld(loadDemo(t), t0)
	counters := map[string]string{"meter-pv": "energy", "meter-pump-room": "energy", "meter-public-lighting": "energy",
		"water-meter-makeup": "volume", "generator-1": "run_hours", "booster-pump-1": "run_hours"}
	prev := map[string]float64{}
	for dev, sig := range counters {
		prev[dev] = value(t, w, dev, sig)
	}
	if err := w.Trigger(MainsOutage); err != nil {
		t.Fatal(err)
	}
	for h := 1; h <= 24; h++ {
		w.Step(t0.Add(time.Duration(h) * time.Hour))
		for dev, sig := range counters {
			v := value(t, w, dev, sig)
			if v < prev[dev] {
				t.Fatalf("%s/%s went back from %v to %v at +%dh", dev, sig, prev[dev], v, h)
			}
			prev[dev] = v
		}
	}
	if pv := value(t, w, "meter-pv", "energy"); pv < 12000+100 {
		t.Errorf("PV produced %.1f kWh in a day, want > 100", pv-12000)
	}
}

func TestPVFollowsTheSun(t *testing.T) {
	w := NewWorld(loadDemo(t), t0)
	local := func(h int) time.Time { return time.Date(2026, 3, 11, h, 0, 0, 0, w.loc) }
	for _, tc := range []struct {
		name   string
		at     time.Time
		lo, hi float64
	}{
		{"midnight", local(0), 0, 0},
		{"noon", local(12), 24, 33},
		{"evening", local(20), 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.Step(tc.at)
			if p := value(t, w, "meter-pv", "power"); p < tc.lo || p > tc.hi {
				t.Errorf("PV power at %v = %.1f kW, want %v..%v", tc.at, p, tc.lo, tc.hi)
			}
		})
	}
}

func TestScenarios(t *testing.T) {
	tests := []struct {
		scenario    string
		after       time.Duration
		dev, sig    string
		before, got float64
	}{
		{TankDrain, 3 * time.Hour, "domestic-tank-1", "low_float", 0, 1},
		{TankDrain, time.Second, "domestic-inlet-valve-1", "fault", 0, 1},
		{Intrusion, time.Second, "north-wall-1", "alarm", 0, 1},
		{Intrusion, IntrusionStep + time.Second, "north-wall-2", "alarm", 0, 1},
		{Intrusion, IntrusionLength + IntrusionStep + time.Second, "north-wall-1", "alarm", 0, 0},
		{BinFill, time.Hour, "bin-b1-1", "fill_level", 0, 100},
		{MainsOutage, GenStartDelay + time.Second, "generator-1", "running", 0, 1},
		{Flood, time.Minute, "elevator-pit-1", "water", 0, 1},
		{Flood, time.Second, "flood-pump-room", "water", 0, 1},
		{FireAlarm, time.Second, "fire-panel-1", "fire_alarm", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.scenario+"/"+tc.dev+"/"+tc.sig, func(t *testing.T) {
			w := NewWorld(loadDemo(t), t0)
			if v := value(t, w, tc.dev, tc.sig); tc.sig != "fill_level" && v != tc.before {
				t.Fatalf("before: %v, want %v", v, tc.before)
			}
			if err := w.Trigger(tc.scenario); err != nil {
				t.Fatal(err)
			}
			w.Step(t0.Add(tc.after))
			if v := value(t, w, tc.dev, tc.sig); v != tc.got {
				t.Errorf("%v after %s: %s/%s = %v, want %v", tc.after, tc.scenario, tc.dev, tc.sig, v, tc.got)
			}
		})
	}
}

func TestUnplugAndNormal(t *testing.T) {
	w := NewWorld(loadDemo(t), t0)
	if err := w.Trigger(Unplug); err != nil {
		t.Fatal(err)
	}
	mb, mq := w.unplugTargets()
	if mb != "transfer-switch-1" || mq != "north-wall-1" {
		t.Fatalf("unplug targets %q, %q; want transfer-switch-1 (alone on its unit) and north-wall-1", mb, mq)
	}
	if !w.Unplugged(mb) || !w.Unplugged(mq) || w.Unplugged("meter-pv") {
		t.Fatal("unplug did not take exactly its targets")
	}
	if err := w.Trigger("unplug:meter-pv"); err != nil || !w.Unplugged("meter-pv") {
		t.Fatalf("unplug:meter-pv: %v", err)
	}
	if err := w.Trigger("unplug:nope"); err == nil {
		t.Error("unplug of an unknown device accepted")
	}
	if err := w.Trigger(Normal); err != nil || w.Unplugged(mb) {
		t.Fatalf("normal did not plug devices back: %v", err)
	}
	if err := w.Trigger("earthquake"); err == nil {
		t.Error("unknown scenario accepted")
	}
}

func siteType(s string) site.SignalType { return site.SignalType(s) }

func TestParseStart(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC) // 04:00 on the 11th in Shanghai
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"23:30", time.Date(2026, 3, 11, 23, 30, 0, 0, sh)},
		{"00:05", time.Date(2026, 3, 11, 0, 5, 0, 0, sh)},
		{"2026-01-02T03:04:05Z", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	} {
		got, err := ParseStart(tc.in, now, sh)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseStart(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"25:00", "noon", "2026-01-02"} {
		if _, err := ParseStart(bad, now, sh); err == nil {
			t.Errorf("ParseStart(%q) accepted", bad)
		}
	}
}
