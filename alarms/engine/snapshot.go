package engine

import (
	"slices"
	"strings"
	"time"

	"facmon/collectors"
)

// Snapshot is the engine's state: what must survive a restart so that
// pending on-delays and the generator run-on resume where they were instead
// of starting from zero. It encodes as JSON.
type Snapshot struct {
	// Time is the engine's time when the snapshot was taken.
	Time time.Time `json:"time"`
	// Devices holds each device's last known status.
	Devices map[string]collectors.DeviceStatus `json:"devices,omitempty"`
	// Alarms holds the state of every (rule, device) that is not at rest.
	Alarms []Saved `json:"alarms"`
}

// Saved is the state of one (rule, device). Key identifies the rule's
// definition: a changed rule does not take the state of the old one.
type Saved struct {
	Rule   string `json:"rule"`
	Device string `json:"device"`
	Key    string `json:"key"`
	State
}

// Snapshot returns the engine's state.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Snapshot{Time: e.now, Devices: map[string]collectors.DeviceStatus{}}
	for id, d := range e.devices {
		if d.status != collectors.Online {
			s.Devices[id] = d.status
		}
	}
	for _, in := range e.insts {
		if atRest(in) {
			continue
		}
		st := in.State
		st.MemberRaise, st.MemberClear = slices.Clone(st.MemberRaise), slices.Clone(st.MemberClear)
		st.Counter.Samples = slices.Clone(st.Counter.Samples)
		s.Alarms = append(s.Alarms, Saved{Rule: in.rule.Name, Device: in.label, Key: in.key, State: st})
	}
	return s
}

// atRest reports whether an instance holds nothing worth saving.
func atRest(in *inst) bool {
	z := State{}
	return in.Alarm == z.Alarm && in.Due.IsZero() && in.Pending.IsZero() && !in.Armed &&
		in.Gen == z.Gen && len(in.Counter.Samples) == 0 && in.LastSeen.IsZero() &&
		!slices.Contains(in.MemberRaise, true) && !slices.Contains(in.MemberClear, true)
}

// Restore loads a snapshot taken by an engine with the same or an older
// rule set; states of rules that changed or vanished are dropped. It
// returns how many were restored. Timers that fell due while facmon was
// down fire on the next Advance, at their own time.
func (e *Engine) Restore(s Snapshot) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, st := range s.Devices {
		if d := e.devices[id]; d != nil {
			d.status = st
		}
	}
	n := 0
	for _, sv := range s.Alarms {
		in := e.byKey[sv.Key]
		if in == nil || !strings.HasPrefix(sv.Key, sv.Rule+"\x00") {
			continue
		}
		in.State = sv.State
		if !in.Due.IsZero() {
			e.schedule(in, in.Due)
		}
		n++
	}
	if s.Time.After(e.now) {
		e.now = s.Time
	}
	return n
}
