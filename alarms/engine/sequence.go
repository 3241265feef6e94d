package engine

import (
	"time"

	"facmon/alarms/rules"
	"facmon/collectors"
)

// Known bits of GenState.
const (
	knowMains = 1 << iota
	knowRunning
	knowTransfer
)

// sequence evaluates the mains/generator interlock of 篇3·十五·7 on one
// point of the generator controller.
func (e *Engine) sequence(in *inst, p *collectors.Point) {
	s, g := in.rule.Sequence, &in.Gen
	on := p.Value > 0.5
	switch {
	case p.Signal == s.Mains && p.Device == orDevice(s.MainsDevice, in.dev.id):
		if g.Known&knowMains != 0 && !g.Mains && on {
			g.AfterOutage, g.MainsBackAt = true, p.Time
		}
		g.Mains = on
		g.Known |= knowMains
	case p.Signal == s.Running && p.Device == in.dev.id:
		if g.Known&knowRunning != 0 && g.Running && !on {
			e.stopped(in, p.Time)
		}
		g.Running = on
		g.Known |= knowRunning
	case p.Signal == s.Transfer && p.Device == orDevice(s.TransferDevice, in.dev.id):
		g.Transfer = on
		g.Known |= knowTransfer
	}
	in.Raise, in.Clear = genConds(s, g)
}

// stopped handles the generator stopping: a stop sooner than run_on −
// tolerance after mains returned raises and at once clears the
// stopped_early alarm (an event the operator must acknowledge).
func (e *Engine) stopped(in *inst, t time.Time) {
	s, g := in.rule.Sequence, &in.Gen
	early := g.AfterOutage && g.Mains && t.Sub(g.MainsBackAt) < time.Duration(s.RunOn-s.Tolerance)
	g.AfterOutage = false
	if s.Fault == rules.StoppedEarly && early && !e.heldBack(in) {
		e.raise(in, t, t.Sub(g.MainsBackAt))
		e.clear(in, t)
	}
}

// genConds returns the raise and clear conditions of the rule's fault.
func genConds(s *rules.Sequence, g *GenState) (raise, clr bool) {
	mainsLost := g.Known&knowMains != 0 && !g.Mains
	switch s.Fault {
	case rules.FailToStart:
		return mainsLost && g.Known&knowRunning != 0 && !g.Running, !mainsLost || g.Running
	case rules.FailToTransfer:
		return mainsLost && g.Known&knowTransfer != 0 && !g.Transfer, !mainsLost || g.Transfer
	case rules.RunOnTooLong:
		return g.AfterOutage && g.Mains && g.Running, !g.Running || !g.Mains
	}
	return false, true
}

// seqDelay is the on-delay of the rule's fault.
func (in *inst) seqDelay() time.Duration {
	s := in.rule.Sequence
	switch s.Fault {
	case rules.FailToStart:
		return time.Duration(s.D1)
	case rules.FailToTransfer:
		return time.Duration(s.D2)
	case rules.RunOnTooLong:
		return time.Duration(s.RunOn + s.Tolerance)
	}
	return 0
}

// orDevice returns id, or def when id is empty.
func orDevice(id, def string) string {
	if id == "" {
		return def
	}
	return id
}
