package lifecycle

import (
	"reflect"
	"testing"
	"time"
)

// TestRestore: a Manager rebuilt from the journal alone, or from a
// snapshot plus the entries after it, has the same board, shelves and
// zone states, and gives the engine the alarms to adopt.
func TestRestore(t *testing.T) {
	x := newH(t)
	x.point("pz-3", "tamper", 1)
	x.point("pz-3", "alarm", 1)
	x.point("panel", "fire_alarm", 1)
	x.ack(x.id("fire", "panel"))
	x.point("panel", "fire_alarm", 0)
	if err := x.m.Shelve(bg, "op", x.id("tamper", "pz-3"), "works", 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := x.m.Note(bg, "op", x.id("intrusion", "pz-3"), "guard sent"); err != nil {
		t.Fatal(err)
	}
	snap, err := x.m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	cut := len(x.j.entries())
	if err := x.m.Bypass(bg, "op", "zone-3", "ladder", "pw", okPW{}); err != nil {
		t.Fatal(err)
	}
	x.ack(x.id("intrusion", "pz-3"))

	for name, restore := range map[string]func(m *Manager) error{
		"journal only":             func(m *Manager) error { return m.Restore(nil, 0, x.j.entries()) },
		"snapshot and the entries": func(m *Manager) error { return m.Restore(snap, uint64(cut), x.j.entries()[cut:]) },
	} {
		t.Run(name, func(t *testing.T) {
			y := newH(t)
			if err := restore(y.m); err != nil {
				t.Fatal(err)
			}
			if got, want := y.m.Board(), x.m.Board(); !reflect.DeepEqual(got, want) {
				t.Fatalf("board after restore:\n got %+v\nwant %+v", got, want)
			}
			if got, want := y.m.Zones(), x.m.Zones(); !reflect.DeepEqual(got, want) {
				t.Fatalf("zones after restore:\n got %+v\nwant %+v", got, want)
			}
			if got, want := y.m.Adopted(), x.m.Adopted(); !reflect.DeepEqual(got, want) || len(got) != 3 {
				t.Fatalf("adopted after restore:\n got %+v\nwant %+v (tamper, intrusion, and fire latched)", got, want)
			}
			y.now = x.now.Add(31 * time.Minute)
			if err := y.m.Advance(bg, y.now); err != nil {
				t.Fatal(err)
			}
			if a, _ := y.alarm("tamper", "pz-3"); a.ShelvedUntil != nil {
				t.Fatal("restored shelf did not expire")
			}
		})
	}
}
