package engine

import (
	"math"
	"slices"
	"strings"
	"time"

	"facmon/alarms/rules"
	"facmon/collectors"
)

// kind is a rule's kind, resolved once.
type kind uint8

const (
	kindThreshold kind = iota
	kindState
	kindSupervision
	kindSequence
	kindDeadline
	kindConsumption
)

// kindOf returns the kind of r.
func kindOf(r *rules.Rule) kind {
	switch {
	case r.State != nil:
		return kindState
	case r.Supervision != nil:
		return kindSupervision
	case r.Sequence != nil:
		return kindSequence
	case r.Deadline != nil:
		return kindDeadline
	case r.Consumption != nil:
		return kindConsumption
	}
	return kindThreshold
}

// onPoint updates in from one point of member m and settles it.
func (e *Engine) onPoint(in *inst, m int, p *collectors.Point) {
	in.Value, in.Signal = p.Value, p.Signal
	switch in.kind {
	case kindThreshold, kindState, kindDeadline:
		raise, clr := valueConds(in, p.Value)
		in.setMember(m, raise, clr)
	case kindSupervision:
		in.supervise(p)
	case kindSequence:
		e.sequence(in, p)
	case kindConsumption:
		in.consume(p)
	}
	if !e.inSchedule(in.rule, p.Time) {
		in.Raise, in.Clear = false, true
	}
	e.settle(in, p.Time)
}

// onTimer settles in when its timer fires at t.
func (e *Engine) onTimer(in *inst, t time.Time) {
	if in.kind == kindSupervision && in.rule.Supervision.NoDataFor > 0 {
		// An offline device is silent by definition: its offline alarm
		// stands for it, and its next point re-arms the timer.
		if !in.Alarm.Active() && in.dev.online() {
			e.raise(in, t, t.Sub(in.LastSeen))
		}
		return
	}
	if !e.inSchedule(in.rule, t) {
		in.Raise, in.Clear = false, true
	}
	e.settle(in, t)
}

// valueConds returns the raise and clear conditions of a value rule.
func valueConds(in *inst, v float64) (raise, clr bool) {
	r := in.rule
	switch {
	case r.Threshold != nil:
		t := r.Threshold
		if t.Above != nil {
			return v > *t.Above, v < *t.Above-t.Deadband
		}
		return v < *t.Below, v > *t.Below+t.Deadband
	case r.State != nil && r.State.Equals != nil:
		return v == r.State.Equals.Value, v != r.State.Equals.Value
	case r.State != nil:
		x := r.State.ChangesTo.Value
		if v != x {
			in.Armed = true
		}
		return v == x && in.Armed, v != x
	}
	d := r.Deadline
	var c bool
	switch {
	case d.Above != nil:
		c = v > *d.Above
	case d.Below != nil:
		c = v < *d.Below
	default:
		c = v == d.Equals.Value
	}
	return c, !c
}

// setMember records member m's conditions; a group raises only when every
// member's raise condition holds, and clears when any member's clear does.
func (in *inst) setMember(m int, raise, clr bool) {
	if in.devs == nil {
		in.Raise, in.Clear = raise, clr
		return
	}
	in.MemberRaise[m], in.MemberClear[m] = raise, clr
	in.Raise = !slices.Contains(in.MemberRaise, false)
	in.Clear = slices.Contains(in.MemberClear, true)
}

// supervise evaluates a supervision rule on a point of its device.
func (in *inst) supervise(p *collectors.Point) {
	s := in.rule.Supervision
	switch {
	case s.Offline:
		if p.Signal == collectors.StatusSignal {
			st := collectors.DeviceStatus(p.Value)
			in.Raise, in.Clear, in.Fault = st != collectors.Online, st == collectors.Online, st.String()
		}
	case s.LineFault != nil:
		in.Fault = faultBits(s.LineFault, p.Value)
		in.Raise, in.Clear = in.Fault != "", in.Fault == ""
	}
}

// faultBits names the set bits of a fault word, sorted ("open,short").
func faultBits(lf *rules.LineFault, v float64) string {
	if v < 0 || v >= 1<<53 || math.IsNaN(v) {
		return "invalid"
	}
	word := uint64(v)
	var set []string
	for name, bit := range lf.Bits {
		if word&(1<<uint(bit)) != 0 {
			set = append(set, name)
		}
	}
	slices.Sort(set)
	return strings.Join(set, ",")
}

// seen records a point of the device for a no_data_for rule: the alarm
// clears, and the silence timer restarts.
func (e *Engine) seen(in *inst, p *collectors.Point) {
	in.LastSeen = p.Time
	if in.Alarm.Active() {
		in.Value, in.Signal = p.Value, p.Signal
		e.clear(in, p.Time)
	}
	e.schedule(in, p.Time.Add(time.Duration(in.rule.Supervision.NoDataFor)))
}

// consume adds a counter point to the window and evaluates the bound.
func (in *inst) consume(p *collectors.Point) {
	c := in.rule.Consumption
	w := &in.Counter
	if w.HasLast {
		d := p.Value - w.Last
		if d < 0 {
			d = p.Value // reset
			if c.Wrap > 0 {
				d += c.Wrap - w.Last
			}
		}
		w.Total += d
	}
	w.Last, w.HasLast = p.Value, true
	w.Samples = append(w.Samples, Sample{T: p.Time, Total: w.Total})
	start := p.Time.Add(-time.Duration(c.Window))
	// Keep one sample at or before the window's start as the base.
	i := 0
	for i+1 < len(w.Samples) && !w.Samples[i+1].T.After(start) {
		i++
	}
	if i > 0 {
		w.Samples = append(w.Samples[:0], w.Samples[i:]...)
	}
	inc := w.Total - w.Samples[0].Total
	in.Value = inc
	full := !w.Samples[0].T.After(start)
	if c.Above != nil {
		in.Raise, in.Clear = inc > *c.Above, inc <= *c.Above
		return
	}
	in.Raise, in.Clear = full && inc < *c.Below, inc >= *c.Below
}

// inSchedule reports whether t is inside one of r's daily windows (always
// true for a rule without a schedule).
func (e *Engine) inSchedule(r *rules.Rule, t time.Time) bool {
	if len(r.Schedule) == 0 {
		return true
	}
	lt := t.In(e.loc)
	m := lt.Hour()*60 + lt.Minute()
	for _, w := range r.Schedule {
		if w.Contains(m) {
			return true
		}
	}
	return false
}
