package lifecycle

import (
	"context"
	"sync"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/alarms/engine"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/internal/site"
)

var t0 = time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)

// testSite has two perimeter zones (zone-3 ordinary, sos a 24-hour zone)
// and a fire panel.
func testSite() *site.Site {
	zone := func(id string) site.Device {
		return site.Device{ID: id, Kind: "perimeter_zone", Area: "wall", Signals: []site.Signal{
			{Name: "alarm", Type: site.State}, {Name: "tamper", Type: site.State}}}
	}
	return &site.Site{ID: "s", Timezone: "UTC", Location: time.UTC,
		Areas: []site.Area{{ID: "wall"}},
		Devices: []site.Device{zone("pz-3"), zone("pz-sos"),
			{ID: "panel", Kind: "fire_panel", Area: "wall", Signals: []site.Signal{{Name: "fire_alarm", Type: site.State}}},
		},
		Zones: []site.Zone{
			{ID: "zone-3", Kind: site.Perimeter, Area: "wall", Devices: []string{"pz-3"}},
			{ID: "sos", Kind: site.InHome, Area: "wall", Devices: []string{"pz-sos"}, AlwaysArmed: true},
		}}
}

const testRules = `
rules:
  - name: intrusion
    severity: critical
    cite: 篇3·二十二·3
    select: {kind: perimeter_zone}
    signal: alarm
    message: 'intrusion {{.Device}}'
    state: {equals: 1}
  - name: tamper
    severity: critical
    cite: 篇3·二十二·6
    select: {kind: perimeter_zone}
    signal: tamper
    message: 'tamper {{.Device}}'
    state: {equals: 1}
  - name: fire
    severity: critical
    cite: 篇3·十六·3
    select: {kind: fire_panel}
    signal: fire_alarm
    message: fire
    state: {equals: 1}
`

// memJournal keeps entries in memory; fail makes Append fail.
type memJournal struct {
	mu   sync.Mutex
	es   []Entry
	fail error
}

func (j *memJournal) Append(_ context.Context, es ...Entry) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return 0, j.fail
	}
	for _, e := range es {
		e.Seq = uint64(len(j.es) + 1) // as the journal numbers its records
		j.es = append(j.es, e)
	}
	return uint64(len(j.es)), nil
}

func (j *memJournal) entries() []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Entry(nil), j.es...)
}

// h is a lifecycle under test: the real engine, a Manager on a memory
// journal, a simulated clock, and the transitions handed on.
type h struct {
	t   *testing.T
	now time.Time
	eng *engine.Engine
	m   *Manager
	j   *memJournal
	out []alarms.Transition
}

func newH(t *testing.T) *h {
	t.Helper()
	x := &h{t: t, now: t0, j: &memJournal{}}
	s := testSite()
	f, err := rules.Parse("test.yaml", []byte(testRules))
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Validate([]*rules.File{f}, s)
	if err != nil {
		t.Fatal(err)
	}
	x.eng = engine.New(engine.Options{Rules: set})
	x.m, err = New(Options{Site: s, Latched: LatchedRules(set), Journal: x.j, Clock: func() time.Time { return x.now },
		Output: alarms.OutputFunc(func(_ context.Context, ts []alarms.Transition) error {
			x.out = append(x.out, ts...)
			return nil
		})})
	if err != nil {
		t.Fatal(err)
	}
	x.m.OnZoneChange(func() { x.deliver(x.eng.SetGate(x.m.Gate, x.now)) })
	x.deliver(x.eng.SetGate(x.m.Gate, x.now))
	return x
}

func (x *h) deliver(ts []alarms.Transition) {
	x.t.Helper()
	if len(ts) == 0 {
		return
	}
	if err := x.m.Transitions(context.Background(), ts); err != nil {
		x.t.Fatal(err)
	}
}

// point sends one value of device's signal at the current time.
func (x *h) point(device, signal string, v float64) {
	x.deliver(x.eng.Process([]collectors.Point{{Site: "s", Device: device, Signal: signal, Value: v, Time: x.now}}))
}

// ack acknowledges through the engine, as the runner does.
func (x *h) ack(id string) {
	tr, ok := x.eng.Ack(id, "op", x.now)
	if !ok {
		x.t.Fatalf("ack %s refused by the engine", id)
	}
	x.deliver([]alarms.Transition{tr})
}

// alarm returns the board's record of the latest alarm of rule on device.
func (x *h) alarm(rule, device string) (alarms.Transition, bool) {
	var last alarms.Transition
	found := false
	for _, t := range x.m.Board() {
		if t.Rule == rule && t.Device == device {
			last, found = t, true
		}
	}
	return last, found
}

func (x *h) id(rule, device string) string {
	x.t.Helper()
	a, ok := x.alarm(rule, device)
	if !ok {
		x.t.Fatalf("no %s alarm on %s", rule, device)
	}
	return a.ID
}

// okPW accepts the password "pw".
type okPW struct{}

func (okPW) CheckPassword(user, pw string) bool { return pw == "pw" }
