package lifecycle

import (
	"context"
	"errors"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/internal/site"
)

// step is one action at the simulated clock and the state the alarm of
// (rule, dev) must be in afterwards ("gone" when it left the board).
type step struct {
	do        func(x *h) error
	rule, dev string
	want      string
	hold      string // the alarm's hold after the step
	err       error  // the action's error, wrapped
}

var bg = context.Background()

func pt(dev, sig string, v float64) func(*h) error {
	return func(x *h) error { x.point(dev, sig, v); return nil }
}

func ack(rule, dev string) func(*h) error {
	return func(x *h) error { x.ack(x.id(rule, dev)); return nil }
}

func wait(d time.Duration) func(*h) error {
	return func(x *h) error { x.now = x.now.Add(d); return x.m.Advance(bg, x.now) }
}

func act(f func(x *h, id string) error, rule, dev string) func(*h) error {
	return func(x *h) error { return f(x, x.id(rule, dev)) }
}

func reset(x *h, id string) error { return x.m.Reset(bg, "op", id) }

func shelve(minutes int, reason string) func(x *h, id string) error {
	return func(x *h, id string) error {
		return x.m.Shelve(bg, "op", id, reason, time.Duration(minutes)*time.Minute)
	}
}

func zone(f func(x *h) error) func(*h) error { return f }

// TestLifecycle walks every transition of ISA-18.2 as facmon has it, on a
// simulated clock: raise, ack, clear, cleared-unacknowledged, latch and
// reset, shelve and its expiry, out of service, and zone arming.
func TestLifecycle(t *testing.T) {
	const I, T, F = "intrusion", "tamper", "fire"
	cases := map[string][]step{
		"raise, ack, clear": {
			{do: pt("pz-3", "tamper", 1), rule: T, dev: "pz-3", want: "active-unacknowledged"},
			{do: ack(T, "pz-3"), rule: T, dev: "pz-3", want: "active-acknowledged"},
			{do: pt("pz-3", "tamper", 0), rule: T, dev: "pz-3", want: "gone"},
		},
		"cleared before ack": {
			{do: pt("pz-3", "tamper", 1), rule: T, dev: "pz-3", want: "active-unacknowledged"},
			{do: pt("pz-3", "tamper", 0), rule: T, dev: "pz-3", want: "cleared-unacknowledged"},
			{do: ack(T, "pz-3"), rule: T, dev: "pz-3", want: "gone"},
		},
		"intrusion latches until reset": {
			{do: pt("pz-3", "alarm", 1), rule: I, dev: "pz-3", want: "active-unacknowledged"},
			{do: act(reset, I, "pz-3"), rule: I, dev: "pz-3", want: "active-unacknowledged", err: ErrConflict},
			{do: pt("pz-3", "alarm", 0), rule: I, dev: "pz-3", want: "cleared-unacknowledged"},
			{do: act(reset, I, "pz-3"), rule: I, dev: "pz-3", want: "cleared-unacknowledged", err: ErrConflict},
			{do: ack(I, "pz-3"), rule: I, dev: "pz-3", want: "latched"},
			{do: act(reset, I, "pz-3"), rule: I, dev: "pz-3", want: "gone"},
		},
		"latched alarm acked while active": {
			{do: pt("panel", "fire_alarm", 1), rule: F, dev: "panel", want: "active-unacknowledged"},
			{do: ack(F, "panel"), rule: F, dev: "panel", want: "active-acknowledged"},
			{do: pt("panel", "fire_alarm", 0), rule: F, dev: "panel", want: "latched"},
			{do: wait(time.Hour), rule: F, dev: "panel", want: "latched"},
			{do: act(reset, F, "panel"), rule: F, dev: "panel", want: "gone"},
		},
		"reset of an alarm that does not latch": {
			{do: pt("pz-3", "tamper", 1), rule: T, dev: "pz-3", want: "active-unacknowledged"},
			{do: act(reset, T, "pz-3"), rule: T, dev: "pz-3", want: "active-unacknowledged", err: ErrConflict},
		},
		"shelf expires; a re-alarm shows again": {
			{do: pt("pz-3", "tamper", 1), rule: T, dev: "pz-3", want: "active-unacknowledged"},
			{do: act(shelve(10, "sensor being replaced"), T, "pz-3"), rule: T, dev: "pz-3", want: "active-unacknowledged", hold: "shelved"},
			{do: pt("pz-3", "tamper", 0), rule: T, dev: "pz-3", want: "cleared-unacknowledged", hold: "shelved"},
			{do: ack(T, "pz-3"), rule: T, dev: "pz-3", want: "gone"},
			{do: wait(5 * time.Minute), rule: T, dev: "pz-3", want: "gone"},
			{do: wait(6 * time.Minute), rule: T, dev: "pz-3", want: "gone"},
			{do: pt("pz-3", "tamper", 1), rule: T, dev: "pz-3", want: "active-unacknowledged", hold: ""},
		},
		"re-alarm inside the shelf stays shelved, then the shelf ends on the clock": {
			{do: pt("pz-3", "tamper", 1), rule: T, dev: "pz-3", want: "active-unacknowledged"},
			{do: act(shelve(10, "noisy"), T, "pz-3"), rule: T, dev: "pz-3", want: "active-unacknowledged", hold: "shelved"},
			{do: wait(9 * time.Minute), rule: T, dev: "pz-3", want: "active-unacknowledged", hold: "shelved"},
			{do: wait(time.Minute), rule: T, dev: "pz-3", want: "active-unacknowledged", hold: ""},
		},
		"shelve needs a reason and a bounded time": {
			{do: pt("pz-3", "tamper", 1), rule: T, dev: "pz-3", want: "active-unacknowledged"},
			{do: act(shelve(10, " "), T, "pz-3"), rule: T, dev: "pz-3", want: "active-unacknowledged", err: ErrBadRequest},
			{do: act(shelve(0, "r"), T, "pz-3"), rule: T, dev: "pz-3", want: "active-unacknowledged", err: ErrBadRequest},
			{do: act(shelve(9*60, "r"), T, "pz-3"), rule: T, dev: "pz-3", want: "active-unacknowledged", err: ErrBadRequest},
		},
		"out of service and back": {
			{do: pt("pz-3", "tamper", 1), rule: T, dev: "pz-3", want: "active-unacknowledged"},
			{do: act(func(x *h, id string) error { return x.m.OutOfService(bg, "eng", id, "") }, T, "pz-3"), rule: T, dev: "pz-3", want: "active-unacknowledged", err: ErrBadRequest},
			{do: act(func(x *h, id string) error { return x.m.OutOfService(bg, "eng", id, "cable cut") }, T, "pz-3"), rule: T, dev: "pz-3", want: "active-unacknowledged", hold: "out-of-service"},
			{do: pt("pz-3", "tamper", 0), rule: T, dev: "pz-3", want: "cleared-unacknowledged", hold: "out-of-service"},
			{do: act(func(x *h, id string) error { return x.m.InService(bg, "eng", id) }, T, "pz-3"), rule: T, dev: "pz-3", want: "cleared-unacknowledged", hold: ""},
			{do: act(func(x *h, id string) error { return x.m.InService(bg, "eng", id) }, T, "pz-3"), rule: T, dev: "pz-3", want: "cleared-unacknowledged", err: ErrConflict},
		},
		"disarmed zone: no intrusion alarm, tamper still watched; arming raises at once": {
			{do: zone(func(x *h) error { return x.m.Disarm(bg, "op", "zone-3", "", "pw", okPW{}) }), rule: I, dev: "pz-3", want: "gone"},
			{do: pt("pz-3", "alarm", 1), rule: I, dev: "pz-3", want: "gone"},
			{do: pt("pz-3", "tamper", 1), rule: T, dev: "pz-3", want: "active-unacknowledged"},
			{do: zone(func(x *h) error { return x.m.Arm(bg, "op", "zone-3") }), rule: I, dev: "pz-3", want: "active-unacknowledged"},
		},
		"bypassed zone: no intrusion alarm": {
			{do: zone(func(x *h) error { return x.m.Bypass(bg, "op", "zone-3", "works", "pw", okPW{}) }), rule: I, dev: "pz-3", want: "gone"},
			{do: pt("pz-3", "alarm", 1), rule: I, dev: "pz-3", want: "gone"},
			{do: zone(func(x *h) error { return x.m.ArmAll(bg, "op") }), rule: I, dev: "pz-3", want: "active-unacknowledged"},
		},
		"disarm without the password is refused": {
			{do: zone(func(x *h) error { return x.m.Disarm(bg, "op", "zone-3", "", "", okPW{}) }), rule: I, dev: "pz-3", want: "gone", err: ErrPassword},
			{do: zone(func(x *h) error { return x.m.Disarm(bg, "op", "zone-3", "", "guess", okPW{}) }), rule: I, dev: "pz-3", want: "gone", err: ErrPassword},
			{do: pt("pz-3", "alarm", 1), rule: I, dev: "pz-3", want: "active-unacknowledged"},
		},
		"bypass without the password is refused": {
			{do: zone(func(x *h) error { return x.m.Bypass(bg, "op", "zone-3", "ladder", "", okPW{}) }), rule: I, dev: "pz-3", want: "gone", err: ErrPassword},
			{do: zone(func(x *h) error { return x.m.Bypass(bg, "op", "zone-3", "ladder", "guess", okPW{}) }), rule: I, dev: "pz-3", want: "gone", err: ErrPassword},
			{do: zone(func(x *h) error { return x.m.Bypass(bg, "op", "zone-3", " ", "pw", okPW{}) }), rule: I, dev: "pz-3", want: "gone", err: ErrBadRequest},
			{do: pt("pz-3", "alarm", 1), rule: I, dev: "pz-3", want: "active-unacknowledged"},
		},
		"24-hour zone cannot be disarmed or bypassed": {
			{do: zone(func(x *h) error { return x.m.Disarm(bg, "op", "sos", "", "pw", okPW{}) }), rule: I, dev: "pz-sos", want: "gone", err: ErrConflict},
			{do: zone(func(x *h) error { return x.m.Bypass(bg, "op", "sos", "test", "pw", okPW{}) }), rule: I, dev: "pz-sos", want: "gone", err: ErrConflict},
			{do: pt("pz-sos", "alarm", 1), rule: I, dev: "pz-sos", want: "active-unacknowledged"},
		},
	}
	for name, steps := range cases {
		t.Run(name, func(t *testing.T) {
			x := newH(t)
			for i, s := range steps {
				x.now = x.now.Add(time.Second)
				err := s.do(x)
				if !errors.Is(err, s.err) || (s.err == nil) != (err == nil) {
					t.Fatalf("step %d: error %v, want %v", i, err, s.err)
				}
				a, ok := x.alarm(s.rule, s.dev)
				got, hold := "gone", ""
				if ok {
					got, hold = a.To.String(), a.Hold.String()
				}
				if got != s.want || hold != s.hold {
					t.Fatalf("step %d: %s on %s is %s (hold %q), want %s (hold %q)", i, s.rule, s.dev, got, hold, s.want, s.hold)
				}
			}
		})
	}
}

// TestRefusedDisarmJournaled: a disarm without the password leaves the
// zone armed and a refused-action entry in the journal (篇3·二十二·5).
func TestRefusedDisarmJournaled(t *testing.T) {
	x := newH(t)
	err := x.m.Disarm(bg, "op", "zone-3", "", "", okPW{})
	if !errors.Is(err, ErrPassword) {
		t.Fatalf("disarm without password: %v", err)
	}
	es := x.j.entries()
	if len(es) != 1 || es[0].Type != Refused || es[0].Action != "disarm" || es[0].Subject != "zone-3" || es[0].User != "op" {
		t.Fatalf("journal = %+v, want one refused disarm of zone-3 by op", es)
	}
	if z := x.m.Zones()[0]; z.State != Armed {
		t.Fatalf("zone-3 is %s after a refused disarm", z.State)
	}
}

// TestJournalFirst: when the journal fails, the action is not done and
// nothing is handed on.
func TestJournalFirst(t *testing.T) {
	x := newH(t)
	x.point("pz-3", "tamper", 1)
	id := x.id("tamper", "pz-3")
	n := len(x.out)
	x.j.fail = errors.New("disk full")
	err := x.m.Shelve(bg, "op", id, "r", time.Minute)
	if !errors.Is(err, ErrJournal) {
		t.Fatalf("shelve with a failing journal: %v", err)
	}
	if len(x.out) != n {
		t.Fatalf("%d transitions handed on without a journal entry", len(x.out)-n)
	}
	if a, _ := x.alarm("tamper", "pz-3"); a.Hold == alarms.HeldShelved {
		t.Fatal("alarm shelved although the journal refused")
	}
	if err := x.m.Arm(bg, "op", "zone-3"); !errors.Is(err, ErrJournal) {
		t.Fatalf("arm with a failing journal: %v", err)
	}
}

// TestZonesFollowReload: a reloaded site file keeps the states of its
// zones by id; a new zone starts armed; a removed zone is gone.
func TestZonesFollowReload(t *testing.T) {
	s := testSite()
	cur := s
	m, err := New(Options{Site: s, CurrentSite: func() *site.Site { return cur }, Journal: &memJournal{},
		Clock: func() time.Time { return t0 }, Output: alarms.OutputFunc(func(context.Context, []alarms.Transition) error { return nil })})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Bypass(bg, "op", "zone-3", "works", "pw", okPW{}); err != nil {
		t.Fatal(err)
	}
	next := testSite()
	next.Zones = append(next.Zones[:1], site.Zone{ID: "zone-new", Kind: site.Perimeter, Devices: []string{"pz-sos"}})
	cur = next
	got := map[string]ZoneState{}
	for _, z := range m.Zones() {
		got[z.ID] = z.State
	}
	want := map[string]ZoneState{"zone-3": Bypassed, "zone-new": Armed}
	if len(got) != len(want) || got["zone-3"] != Bypassed || got["zone-new"] != Armed {
		t.Fatalf("zones after reload %v, want %v", got, want)
	}
}
