package lifecycle

import (
	"context"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/alarms/dispatch"
	"facmon/alarms/engine"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// TestFlood: the demo community with its rule pack. A power failure takes
// every device of the pump-room PLC offline while their values fall to 0,
// and an intrusion crosses all eight wall sections at once. Every alarm is
// kept; each offline device has its one supervision alarm and none of its
// process alarms (suppressed by cause); the outputs behind the dispatcher
// see the transitions in exactly the journal's order.
func TestFlood(t *testing.T) {
	s, err := site.Load("../../seeds/sites/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.ForSite("../../seeds/sites/demo.yaml", s)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	rec, j := &testsupport.Transitions{}, &memJournal{}
	disp, err := dispatch.New(dispatch.Options{Targets: []dispatch.Target{{Name: "rec", Output: rec}}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Options{Site: s, Latched: LatchedRules(set), Journal: j, Output: disp, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Options{Rules: set})
	eng.SetGate(m.Gate, now)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { disp.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	var pts []collectors.Point
	offline := map[string]bool{}
	for _, d := range s.Devices {
		if d.Modbus == nil || d.Modbus.Gateway != "pump-room-plc" {
			continue
		}
		offline[d.ID] = true
		pts = append(pts, collectors.Point{Site: s.ID, Device: d.ID, Signal: collectors.StatusSignal, Value: float64(collectors.Offline), Time: now})
		for _, sg := range d.Signals {
			pts = append(pts, collectors.Point{Site: s.ID, Device: d.ID, Signal: sg.Name, Value: 0, Quality: collectors.Good, Time: now})
		}
	}
	for _, d := range s.Devices {
		if d.Kind == "perimeter_zone" {
			pts = append(pts, collectors.Point{Site: s.ID, Device: d.ID, Signal: "alarm", Value: 1, Time: now})
		}
	}
	for i := range 120 { // two minutes of on-delays and timers
		now = now.Add(time.Second)
		var ts []alarms.Transition
		if i == 0 {
			ts = eng.Process(pts)
		} else {
			ts = eng.Advance(now)
		}
		if err := m.Transitions(ctx, ts); err != nil {
			t.Fatal(err)
		}
	}

	journaled := j.entries()
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.All()) < len(journaled) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := rec.All()
	if len(got) != len(journaled) {
		t.Fatalf("outputs saw %d transitions, the journal has %d", len(got), len(journaled))
	}
	supervision, intrusion := map[string]int{}, 0
	for i, tr := range got {
		if journaled[i].Subject != tr.ID || journaled[i].Action != tr.Change.String() {
			t.Fatalf("transition %d: output saw %s %s, journal has %s %s", i, tr.Change, tr.ID, journaled[i].Action, journaled[i].Subject)
		}
		switch {
		case tr.Rule == "perimeter-zone-alarm":
			intrusion++
		case offline[tr.Device] && tr.Rule == "equipment-offline":
			supervision[tr.Device]++
		case offline[tr.Device]:
			t.Fatalf("process alarm %s of offline device %s not suppressed", tr.Rule, tr.Device)
		}
	}
	if intrusion != 8 {
		t.Fatalf("%d intrusion alarms, want 8 (one per wall section)", intrusion)
	}
	for d := range offline {
		if supervision[d] != 1 {
			t.Fatalf("device %s: %d offline alarms, want 1", d, supervision[d])
		}
	}
	t.Logf("%d devices offline, %d transitions, all in journal order", len(offline), len(got))
}
