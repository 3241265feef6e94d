package engine

import (
	"testing"
	"time"

	"facmon/alarms"
	"facmon/alarms/rules"
	"facmon/collectors"
)

// TestGate: a closed gate holds a raise back; opening it raises at once,
// at the time SetGate is given.
func TestGate(t *testing.T) {
	e := New(Options{Rules: ruleSet(t, tankLow)})
	open := false
	e.SetGate(func(*rules.Rule, string) bool { return open }, t0)
	if trs := e.Process(pointsAt(level("tank-1", 0.5, 0), level("tank-1", 0.5, time.Minute))); len(trs) != 0 {
		t.Fatalf("closed gate raised %+v", trs)
	}
	open = true
	trs := e.SetGate(func(*rules.Rule, string) bool { return open }, t0.Add(2*time.Minute))
	if len(trs) != 0 {
		t.Fatalf("the on-delay must start when the gate opens, got %+v", trs)
	}
	trs = e.Advance(t0.Add(2*time.Minute + 30*time.Second))
	if len(trs) != 1 || trs[0].Change != alarms.Raise {
		t.Fatalf("after the on-delay: %+v", trs)
	}
}

// TestAdopt: the journal's alarms replace the engine's; an alarm the
// journal does not know goes back to normal and is raised again.
func TestAdopt(t *testing.T) {
	e := New(Options{Rules: ruleSet(t, tankLow)})
	e.Process(pointsAt(level("tank-1", 0.5, 0), level("tank-2", 0.5, 0)))
	e.Advance(t0.Add(31 * time.Second))
	since := t0.Add(-time.Hour)
	n := e.Adopt([]Adopted{{Rule: "tank-low", Device: "tank-1", ID: alarms.AlarmID("tank-low", "tank-1", since),
		State: alarms.ActiveAcked, Since: since}})
	if n != 1 {
		t.Fatalf("adopted %d", n)
	}
	got := map[string]Alarm{}
	for _, a := range e.Alarms() {
		got[a.Device] = a
	}
	if a := got["tank-1"]; a.State != alarms.ActiveAcked || !a.Since.Equal(since) {
		t.Fatalf("tank-1: %+v", a)
	}
	if _, ok := got["tank-2"]; ok {
		t.Fatal("tank-2 unknown to the journal but still active")
	}
	trs := e.Process(pointsAt(level("tank-2", 0.5, 40*time.Second)))
	trs = append(trs, e.Advance(t0.Add(71*time.Second))...)
	if len(trs) != 1 || trs[0].Device != "tank-2" || trs[0].Change != alarms.Raise {
		t.Fatalf("tank-2 not raised again: %+v", trs)
	}
}

func pointsAt(ps ...collectors.Point) []collectors.Point { return ps }

// TestAdoptLatched: an alarm the journal saw clear into latched is normal
// to the engine, and the engine's older memory of the condition does not
// raise it again when the gate is installed after a restart.
func TestAdoptLatched(t *testing.T) {
	e := New(Options{Rules: ruleSet(t, tankLow)})
	e.Process(pointsAt(level("tank-1", 0.5, 0)))
	e.Advance(t0.Add(31 * time.Second)) // raised; the condition still holds in this (stale) state
	since := t0
	n := e.Adopt([]Adopted{{Rule: "tank-low", Device: "tank-1", ID: alarms.AlarmID("tank-low", "tank-1", since),
		State: alarms.Latched, Since: since}})
	if n != 1 || len(e.Alarms()) != 0 {
		t.Fatalf("adopted %d, alarms %+v", n, e.Alarms())
	}
	if trs := e.SetGate(func(*rules.Rule, string) bool { return true }, t0.Add(time.Minute)); len(trs) != 0 {
		t.Fatalf("latched alarm raised again on start: %+v", trs)
	}
	if trs := e.Advance(t0.Add(5 * time.Minute)); len(trs) != 0 {
		t.Fatalf("latched alarm raised again later: %+v", trs)
	}
}
