package engine

import (
	"context"
	"time"

	"facmon/alarms"
	"facmon/alarms/rules"
)

// Gate says whether rule may raise an alarm on device now: zone arming
// (alarms/lifecycle) closes it for the intrusion rules of a disarmed or
// bypassed zone. Supervision rules never consult it (篇3·二十二·6). It is
// called with the engine's lock held and must not call back into the
// engine.
type Gate func(rule *rules.Rule, device string) bool

// gateOpen reports whether the gate lets in raise.
func (e *Engine) gateOpen(in *inst) bool {
	return e.gate == nil || in.kind == kindSupervision || e.gate(in.rule, in.label)
}

// SetGate installs g and re-evaluates, at time now, every alarm whose
// raise condition holds, so that arming a zone whose detector is already
// in alarm raises at once instead of at the detector's next report. It
// returns the transitions that causes.
func (e *Engine) SetGate(g Gate, now time.Time) []alarms.Transition {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.gate = g
	for _, in := range e.insts {
		if !in.dead && !in.Alarm.Active() && in.Raise {
			e.settle(in, now)
		}
	}
	return e.flush()
}

// Adopted is the state of one alarm as the durable journal knows it.
type Adopted struct {
	Rule, Device, ID string
	State            alarms.State
	Since            time.Time
	Message          string
	Hold             alarms.Hold
}

// Adopt makes the engine's alarms agree with the journal after a restart:
// the journal is fsync'd before any action is acknowledged, while the
// engine's own snapshot may be seconds older. Alarms in as take their state
// from it (a latched one, whose condition the journal saw go, is normal
// to the engine and its condition false); every other alarm that is not normal goes back to normal
// (unknown to the journal, it was never shown to anyone) and is raised
// again if its condition still holds. It returns how many it set.
func (e *Engine) Adopt(as []Adopted) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	by := make(map[string]*Adopted, len(as))
	for i := range as {
		by[as[i].Rule+"\x00"+as[i].Device] = &as[i]
	}
	n := 0
	for _, in := range e.insts {
		a := by[in.rule.Name+"\x00"+in.label]
		switch {
		case a != nil && a.State == alarms.Latched:
			// The journal saw the condition go: the engine's memory of
			// it may predate the clear, and must not raise it again.
			in.Alarm, in.ID, in.Pending, in.Raise = alarms.Normal, "", time.Time{}, false
			in.cancel()
			n++
		case a != nil:
			in.Alarm, in.ID, in.Since, in.Message, in.Hold = a.State, a.ID, a.Since, a.Message, a.Hold
			n++
		case in.Alarm != alarms.Normal:
			in.Alarm, in.ID, in.Pending = alarms.Normal, "", time.Time{}
			in.cancel()
		}
	}
	return n
}

// Rules returns the rule set the engine runs now (it changes on Load).
func (e *Engine) Rules() *rules.Set {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.set
}

// SetGate installs g in the engine through the runner, so that the
// transitions a re-evaluation causes reach the output in order.
func (r *Runner) SetGate(ctx context.Context, g Gate) {
	now := r.opts.Clock()
	r.deliver(ctx, func(e *Engine) []alarms.Transition { return e.SetGate(g, now) })
}
