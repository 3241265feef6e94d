// Package engine evaluates alarm rules: it takes arriving points and the
// time from an injected clock, keeps the state of every (rule, device), and
// returns alarm transitions. It never reads files, never calls time.Now and
// knows nothing of outputs; package alarms/rules gives it validated rules.
package engine

import (
	"log/slog"
	"sync"
	"time"

	"facmon/alarms"
	"facmon/alarms/rules"
	"facmon/collectors"
)

// Engine evaluates one validated rule set. It is safe for concurrent use;
// every method takes the time it works at from its caller.
type Engine struct {
	mu      sync.Mutex
	log     *slog.Logger
	set     *rules.Set
	siteID  string
	loc     *time.Location
	devices map[string]*device
	insts   []*inst
	byKey   map[string]*inst
	timers  timerHeap
	// unarmed are no_data_for instances waiting for the first known time.
	unarmed []*inst
	now     time.Time
	out     []alarms.Transition
	gate    Gate // zone arming (gate.go); nil lets every rule raise
}

// Options configure an Engine.
type Options struct {
	// Rules is the validated rule set; required.
	Rules *rules.Set
	// Logger defaults to slog.Default's handler discarding nothing.
	Logger *slog.Logger
}

// New returns an engine for opts.Rules with every alarm normal.
func New(opts Options) *Engine {
	e := &Engine{log: opts.Logger}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.build(opts.Rules, nil)
	return e
}

// Process evaluates a batch of points in order and returns the transitions
// they caused (nil if none). Timers due before a point fire first, at their
// own time.
func (e *Engine) Process(pts []collectors.Point) []alarms.Transition {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range pts {
		e.point(&pts[i])
	}
	return e.flush()
}

// Advance fires every timer due at or before now and returns the
// transitions (nil if none). The caller's clock drives it (a ticker in
// production, the test's simulated clock in rule tests).
func (e *Engine) Advance(now time.Time) []alarms.Transition {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(now)
	return e.flush()
}

// advance arms waiting silence timers and fires due timers.
func (e *Engine) advance(now time.Time) {
	if len(e.unarmed) > 0 {
		for _, in := range e.unarmed {
			if in.LastSeen.IsZero() && !in.dead {
				in.LastSeen = now
				e.schedule(in, now.Add(time.Duration(in.rule.Supervision.NoDataFor)))
			}
		}
		e.unarmed = e.unarmed[:0]
	}
	e.fireDue(now)
	if now.After(e.now) {
		e.now = now
	}
}

// flush returns a copy of the pending transitions and empties the buffer.
func (e *Engine) flush() []alarms.Transition {
	if len(e.out) == 0 {
		return nil
	}
	out := make([]alarms.Transition, len(e.out))
	copy(out, e.out)
	clear(e.out)
	e.out = e.out[:0]
	return out
}

// point evaluates one point: only the rules watching its (device, signal).
func (e *Engine) point(p *collectors.Point) {
	e.advance(p.Time)
	d := e.devices[p.Device]
	if d == nil {
		return
	}
	if p.Signal == collectors.StatusSignal {
		e.status(d, p)
	}
	for _, in := range d.watchdogs {
		e.seen(in, p)
	}
	for _, w := range d.bySignal[p.Signal] {
		e.onPoint(w.inst, w.member, p)
	}
}

// status records a device's status and, when it goes offline, drops the
// pending raises of its process rules: a failed read is never a value, and
// the supervision alarm replaces them.
func (e *Engine) status(d *device, p *collectors.Point) {
	d.status = collectors.DeviceStatus(p.Value)
	if d.online() {
		return
	}
	for _, in := range d.process {
		if !in.Alarm.Active() {
			in.Pending = time.Time{}
			in.cancel()
		}
	}
}

// Ack acknowledges the alarm with the given id at time t on behalf of by.
// It returns the transition, or ok false if no such alarm awaits an ack.
func (e *Engine) Ack(id, by string, t time.Time) (tr alarms.Transition, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var in *inst
	for _, x := range e.insts {
		if x.ID == id {
			in = x
		}
	}
	if in == nil || (in.Alarm != alarms.ActiveUnacked && in.Alarm != alarms.ClearedUnacked) {
		return tr, false
	}
	from := in.Alarm
	in.Alarm = alarms.ActiveAcked
	if from == alarms.ClearedUnacked {
		in.Alarm = alarms.Normal
	}
	e.emit(in, alarms.Ack, from, t, 0)
	out := e.flush()
	out[0].By = by
	return out[0], true
}

// Alarm is the current state of one (rule, device) that is not normal.
type Alarm struct {
	ID       string
	Rule     string
	Device   string
	Area     string
	Kind     string
	State    alarms.State
	Since    time.Time
	Hold     alarms.Hold
	Value    float64
	Severity alarms.Severity
	Cite     string
	// Message is the message rendered when the alarm was raised.
	Message string
}

// Alarms returns every alarm that is not normal, in rule order.
func (e *Engine) Alarms() []Alarm {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Alarm
	for _, in := range e.insts {
		if in.Alarm == alarms.Normal {
			continue
		}
		out = append(out, Alarm{ID: in.ID, Rule: in.rule.Name, Device: in.label, Area: in.dev.area,
			Kind: in.dev.kind, State: in.Alarm, Since: in.Since, Hold: in.Hold, Value: in.Value,
			Severity: in.rule.Severity, Cite: in.rule.Cite, Message: in.Message})
	}
	return out
}
