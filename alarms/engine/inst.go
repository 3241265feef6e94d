package engine

import (
	"time"

	"facmon/alarms"
	"facmon/alarms/rules"
)

// inst is the state of one rule on one device (or on one group of devices
// for a rule that selects all of them at once).
type inst struct {
	rule  *rules.Rule
	kind  kind
	order int // creation order, for deterministic timer ties
	key   string
	dev   *device   // the device; the first member for a group
	devs  []*device // members of a group; nil otherwise
	// label is the Device of the alarm: the device id, or the member ids
	// joined by "+" for a group.
	label string
	dead  bool // removed by a reload
	// queued is the time of this instance's timer in the heap, if any.
	queued time.Time
	State
}

// State is the part of an instance that survives a restart (Snapshot) and
// a reload of an unchanged rule.
type State struct {
	Alarm alarms.State `json:"alarm"`
	ID    string       `json:"id,omitempty"`
	Since time.Time    `json:"since,omitzero"`
	// Message is the rendered message of the current occurrence.
	Message string `json:"message,omitempty"`
	// Hold marks the current occurrence (maintenance window at raise).
	Hold alarms.Hold `json:"hold,omitempty"`
	// Pending is when the condition that the next transition waits for
	// (raise while normal, clear while active) started to hold.
	Pending time.Time `json:"pending,omitzero"`
	// Due is when the pending timer fires.
	Due    time.Time `json:"due,omitzero"`
	Value  float64   `json:"value"`
	Signal string    `json:"signal,omitempty"`
	// Raise and Clear are the current raise and clear conditions.
	Raise bool `json:"raise,omitempty"`
	Clear bool `json:"clear,omitempty"`
	// Armed: a changes_to rule has seen a value other than its target.
	Armed bool   `json:"armed,omitempty"`
	Fault string `json:"fault,omitempty"`
	// Member conditions of a group rule.
	MemberRaise []bool `json:"member_raise,omitempty"`
	MemberClear []bool `json:"member_clear,omitempty"`
	// LastSeen is the time of the device's last point (no_data_for).
	LastSeen time.Time `json:"last_seen,omitzero"`
	Gen      GenState  `json:"gen,omitzero"`
	Counter  Counter   `json:"counter,omitzero"`
}

// GenState is what the generator sequence rule knows (篇3·十五·7).
type GenState struct {
	Known       uint8     `json:"known,omitempty"` // bits: 1 mains, 2 running, 4 transfer
	Mains       bool      `json:"mains,omitempty"`
	Running     bool      `json:"running,omitempty"`
	Transfer    bool      `json:"transfer,omitempty"`
	AfterOutage bool      `json:"after_outage,omitempty"`
	MainsBackAt time.Time `json:"mains_back_at,omitzero"`
}

// Counter is a consumption rule's sliding window over a counter.
type Counter struct {
	Last    float64  `json:"last"`
	HasLast bool     `json:"has_last,omitempty"`
	Total   float64  `json:"total"`
	Samples []Sample `json:"samples,omitempty"`
}

// Sample is the running increase of a counter at a time.
type Sample struct {
	T     time.Time `json:"t"`
	Total float64   `json:"total"`
}

// delays returns the on- and off-delay of the instance's rule.
func (in *inst) delays() (on, off time.Duration) {
	r := in.rule
	switch {
	case r.Threshold != nil:
		return time.Duration(r.Threshold.OnDelay), time.Duration(r.Threshold.OffDelay)
	case r.State != nil:
		return time.Duration(r.State.OnDelay), time.Duration(r.State.OffDelay)
	case r.Deadline != nil:
		return time.Duration(r.Deadline.Within), 0
	case r.Sequence != nil:
		return in.seqDelay(), 0
	}
	return 0, 0
}

// settle moves the alarm according to its current conditions at time t:
// raise once the raise condition has held for the on-delay, clear once the
// clear condition has held for the off-delay, otherwise wait on a timer.
func (e *Engine) settle(in *inst, t time.Time) {
	on, off := in.delays()
	cond, delay := in.Raise, on
	if in.Alarm.Active() {
		cond, delay = in.Clear, off
	}
	if !cond || (!in.Alarm.Active() && e.heldBack(in)) {
		in.Pending = time.Time{}
		in.cancel()
		return
	}
	if in.Pending.IsZero() {
		in.Pending = t
	}
	if due := in.Pending.Add(delay); t.Before(due) {
		if !in.Due.Equal(due) {
			e.schedule(in, due)
		}
		return
	}
	since := in.Pending
	in.Pending = time.Time{}
	in.cancel()
	if in.Alarm.Active() {
		e.clear(in, t)
	} else {
		e.raise(in, t, t.Sub(since))
	}
}

// heldBack reports whether a raise of in must wait: a process rule on a
// device that is offline (its alarms are replaced by the supervision alarm).
func (e *Engine) heldBack(in *inst) bool {
	if in.kind == kindSupervision {
		return false
	}
	if !in.dev.online() || !e.gateOpen(in) {
		return true
	}
	for _, d := range in.devs {
		if !d.online() {
			return true
		}
	}
	return false
}

// raise makes the alarm active.
func (e *Engine) raise(in *inst, t time.Time, held time.Duration) {
	from := in.Alarm
	in.Alarm, in.Since = alarms.ActiveUnacked, t
	in.ID = alarms.AlarmID(in.rule.Name, in.label, t)
	in.Hold = e.hold(in, t)
	e.emit(in, alarms.Raise, from, t, held)
}

// clear ends the alarm's condition.
func (e *Engine) clear(in *inst, t time.Time) {
	from := in.Alarm
	in.Alarm = alarms.ClearedUnacked
	if from == alarms.ActiveAcked {
		in.Alarm = alarms.Normal
	}
	e.emit(in, alarms.Clear, from, t, 0)
}

// emit appends a transition of in to the engine's output.
func (e *Engine) emit(in *inst, c alarms.Change, from alarms.State, t time.Time, held time.Duration) {
	d := in.dev
	tr := alarms.Transition{
		ID: in.ID, Rule: in.rule.Name, Site: e.siteID, Area: d.area, Kind: d.kind, Device: in.label,
		Signal: in.Signal, Severity: in.rule.Severity, Labels: in.rule.Labels, Cite: in.rule.Cite,
		Change: c, Value: in.Value, Time: t, ActiveSince: in.Since, From: from, To: in.Alarm, Hold: in.Hold,
	}
	data := &rules.Data{
		Rule: in.rule.Name, Site: e.siteID, Device: in.label, DeviceName: d.name, Area: d.area,
		Kind: d.kind, Signal: in.Signal, Value: in.Value, Duration: held, Fault: in.Fault,
		Labels: in.rule.Labels, DeviceLabels: d.labels,
	}
	tr.Message = in.rule.Render(data)
	tr.Action = in.rule.RenderTodo(data)
	if c == alarms.Raise {
		in.Message = tr.Message
	}
	e.out = append(e.out, tr)
}
