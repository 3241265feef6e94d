package engine

import (
	"encoding/json"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/internal/site"
)

var t0 = time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)

// testSite is a small site built by hand.
func testSite() *site.Site {
	return &site.Site{ID: "s", Timezone: "UTC", Location: time.UTC,
		Areas: []site.Area{{ID: "pump-room"}},
		Devices: []site.Device{
			{ID: "tank-1", Kind: "water_tank", Area: "pump-room", Signals: []site.Signal{{Name: "level", Type: site.Analog},
				{Name: "volume", Type: site.Counter}, {Name: "faults", Type: site.State}}},
			{ID: "tank-2", Kind: "water_tank", Area: "pump-room", Signals: []site.Signal{{Name: "level", Type: site.Analog}}},
			{ID: "gen-1", Kind: "generator", Area: "pump-room", Signals: []site.Signal{
				{Name: "mains_ok", Type: site.State}, {Name: "running", Type: site.State}, {Name: "on_generator", Type: site.State}}},
		}}
}

// ruleSet parses and validates rule YAML against testSite.
func ruleSet(t testing.TB, yaml string) *rules.Set {
	t.Helper()
	f, err := rules.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Validate([]*rules.File{f}, testSite())
	if err != nil {
		t.Fatal(err)
	}
	return set
}

const tankLow = `
rules:
  - name: tank-low
    severity: critical
    cite: 篇3·十六·3
    select: {kind: water_tank}
    signal: level
    message: '{{.Device}} {{.Value}} {{.Duration}}'
    action: '通知工程部给{{.Device}}补水'
    threshold: {below: 1.0, deadband: 0.2, on_delay: 30s, off_delay: 20s}
`

func level(dev string, v float64, at time.Duration) collectors.Point {
	return collectors.Point{Site: "s", Device: dev, Kind: "water_tank", Area: "pump-room", Signal: "level", Value: v, Time: t0.Add(at)}
}

func status(dev string, st collectors.DeviceStatus, at time.Duration) collectors.Point {
	return collectors.Point{Site: "s", Device: dev, Signal: collectors.StatusSignal, Value: float64(st), Time: t0.Add(at)}
}

// stateOf returns the state of rule on device.
func stateOf(e *Engine, rule, dev string) alarms.State {
	for _, a := range e.Alarms() {
		if a.Rule == rule && a.Device == dev {
			return a.State
		}
	}
	return alarms.Normal
}

// TestThresholdSteps walks a tank level through a series, like
// Prometheus's TestKeepFiringFor: one value per 10 s, the state after each.
func TestThresholdSteps(t *testing.T) {
	const (
		N = alarms.Normal
		A = alarms.ActiveUnacked
		C = alarms.ClearedUnacked
	)
	steps := []struct {
		v    float64
		want alarms.State
	}{
		{1.5, N}, {0.9, N}, {0.9, N}, {0.9, N}, {0.9, A}, // on-delay 30 s
		{1.1, A}, {1.1, A}, // inside the deadband
		{1.3, A}, {1.3, A}, {1.3, C}, // off-delay 20 s
		{0.5, C}, {1.3, C}, // a dip shorter than the on-delay
	}
	e := New(Options{Rules: ruleSet(t, tankLow)})
	for i, s := range steps {
		e.Process([]collectors.Point{level("tank-1", s.v, time.Duration(i)*10*time.Second)})
		if got := stateOf(e, "tank-low", "tank-1"); got != s.want {
			t.Fatalf("step %d (value %v): state %s, want %s", i, s.v, got, s.want)
		}
	}
}

func TestTransitions(t *testing.T) {
	e := New(Options{Rules: ruleSet(t, tankLow)})
	e.Process([]collectors.Point{level("tank-1", 0.8, 0)})
	trs := e.Advance(t0.Add(time.Minute))
	if len(trs) != 1 {
		t.Fatalf("got %d transitions, want 1 raise", len(trs))
	}
	tr := trs[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"change", tr.Change, alarms.Raise},
		{"time is the timer's, not the clock's", tr.Time, t0.Add(30 * time.Second)},
		{"value", tr.Value, 0.8},
		{"severity", tr.Severity, alarms.Critical},
		{"cite", tr.Cite, "篇3·十六·3"},
		{"message", tr.Message, "tank-1 0.8 30s"},
		{"action", tr.Action, "通知工程部给tank-1补水"},
		{"id", tr.ID, alarms.AlarmID("tank-low", "tank-1", t0.Add(30*time.Second))},
		{"to", tr.To, alarms.ActiveUnacked},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
	ack, ok := e.Ack(tr.ID, "op", t0.Add(2*time.Minute))
	if !ok || ack.To != alarms.ActiveAcked || ack.By != "op" || ack.ID != tr.ID {
		t.Fatalf("ack: %+v %v", ack, ok)
	}
	if _, ok := e.Ack(tr.ID, "op", t0.Add(2*time.Minute)); ok {
		t.Error("second ack accepted")
	}
	trs = e.Process([]collectors.Point{level("tank-1", 1.5, 3*time.Minute)})
	trs = append(trs, e.Advance(t0.Add(4*time.Minute))...)
	if len(trs) != 1 || trs[0].Change != alarms.Clear || trs[0].To != alarms.Normal || trs[0].ID != tr.ID {
		t.Fatalf("clear of an acked alarm: %+v", trs)
	}
}

func TestOfflineHoldsBackProcessAlarms(t *testing.T) {
	e := New(Options{Rules: ruleSet(t, tankLow)})
	e.Process([]collectors.Point{level("tank-1", 0.5, 0), status("tank-1", collectors.Offline, 10*time.Second)})
	if trs := e.Advance(t0.Add(time.Hour)); len(trs) != 0 {
		t.Fatalf("offline device raised %+v", trs)
	}
	e.Process([]collectors.Point{status("tank-1", collectors.Online, 2*time.Hour), level("tank-1", 0.5, 2*time.Hour)})
	if trs := e.Advance(t0.Add(2*time.Hour + time.Minute)); len(trs) != 1 {
		t.Fatalf("back online: got %+v, want a raise", trs)
	}
}

func TestUnwatchedPointsTouchNothing(t *testing.T) {
	e := New(Options{Rules: ruleSet(t, tankLow)})
	pts := []collectors.Point{
		{Device: "nope", Signal: "level", Value: 0, Time: t0},
		{Device: "tank-1", Signal: "other", Value: 0, Time: t0},
	}
	if trs := e.Process(pts); trs != nil || len(e.timers) != 0 {
		t.Fatalf("got %v, %d timers", trs, len(e.timers))
	}
}

const generator = `
rules:
  - name: gen-run-on
    severity: major
    cite: 篇3·十五·7
    select: {kind: generator}
    sequence: {fault: run_on_too_long, run_on: 180s, tolerance: 30s}
`

func gen(sig string, v float64, at time.Duration) collectors.Point {
	return collectors.Point{Device: "gen-1", Signal: sig, Value: v, Bool: true, Time: t0.Add(at)}
}

// TestSnapshotRestoresTimers restarts the engine half-way through an
// on-delay and the generator run-on: the timers resume, not restart.
func TestSnapshotRestoresTimers(t *testing.T) {
	set := ruleSet(t, tankLow+generator[len("\nrules:"):])
	e := New(Options{Rules: set})
	e.Process([]collectors.Point{
		level("tank-1", 0.5, 0),
		gen("mains_ok", 1, 0), gen("running", 0, 0), gen("mains_ok", 0, 5*time.Second),
		gen("running", 1, 10*time.Second), gen("mains_ok", 1, 20*time.Second),
	})
	e.Advance(t0.Add(25 * time.Second))
	b, err := json.Marshal(e.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var snap Snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		t.Fatal(err)
	}
	fresh := New(Options{Rules: ruleSet(t, tankLow+generator[len("\nrules:"):])})
	if n := fresh.Restore(snap); n != 2 {
		t.Fatalf("restored %d states, want 2", n)
	}
	trs := fresh.Advance(t0.Add(30 * time.Second))
	if len(trs) != 1 || trs[0].Rule != "tank-low" || !trs[0].Time.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("on-delay after restore: %+v", trs)
	}
	trs = fresh.Advance(t0.Add(20*time.Second + 210*time.Second))
	if len(trs) != 1 || trs[0].Rule != "gen-run-on" {
		t.Fatalf("run-on after restore: %+v", trs)
	}
}

func TestReloadCarriesUnchangedRules(t *testing.T) {
	e := New(Options{Rules: ruleSet(t, tankLow)})
	e.Process([]collectors.Point{level("tank-1", 0.5, 0), level("tank-2", 0.5, 0)})
	e.Advance(t0.Add(time.Minute))
	changed := ruleSet(t, tankLow+generator[len("\nrules:"):])
	if trs := e.Load(changed, t0.Add(2*time.Minute)); len(trs) != 0 {
		t.Fatalf("unchanged rule cleared on reload: %+v", trs)
	}
	if got := stateOf(e, "tank-low", "tank-1"); got != alarms.ActiveUnacked {
		t.Fatalf("state after reload: %s", got)
	}
	trs := e.Load(ruleSet(t, generator), t0.Add(3*time.Minute))
	if len(trs) != 2 || trs[0].Change != alarms.Clear {
		t.Fatalf("removing the rule: %+v", trs)
	}
}

// TestTimersFireInOrder schedules on-delays out of order and checks that
// they fire in time order, each at its own time.
func TestTimersFireInOrder(t *testing.T) {
	e := New(Options{Rules: ruleSet(t, tankLow)})
	e.Process([]collectors.Point{level("tank-2", 0.5, 10*time.Second), level("tank-1", 0.5, 0)})
	trs := e.Advance(t0.Add(time.Hour))
	if len(trs) != 2 || trs[0].Device != "tank-1" || !trs[0].Time.Equal(t0.Add(30*time.Second)) ||
		trs[1].Device != "tank-2" || !trs[1].Time.Equal(t0.Add(40*time.Second)) {
		t.Fatalf("got %+v", trs)
	}
}

func TestTimerHeap(t *testing.T) {
	var h timerHeap
	ins := make([]*inst, 50)
	for i := range ins {
		ins[i] = &inst{order: i}
		h.push(timer{at: t0.Add(time.Duration((i*37)%50) * time.Second), inst: ins[i]})
	}
	prev := time.Time{}
	for len(h) > 0 {
		x := h.pop()
		if x.at.Before(prev) {
			t.Fatalf("%v after %v", x.at, prev)
		}
		prev = x.at
	}
}
