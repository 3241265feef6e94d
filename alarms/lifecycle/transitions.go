package lifecycle

import (
	"context"
	"time"

	"facmon/alarms"
)

// Transitions takes the engine's transitions (through its runner): it
// latches, marks shelved and out-of-service alarms, stamps each with the
// alarm's lifecycle, journals them and only then hands them on. An error
// means the journal failed; nothing was handed on.
func (m *Manager) Transitions(ctx context.Context, ts []alarms.Transition) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]alarms.Transition, 0, len(ts))
	es := make([]Entry, 0, len(ts))
	for i := range ts {
		t := ts[i]
		m.stamp(&t)
		out = append(out, t)
		es = append(es, transitionEntry(Transition, &t))
	}
	if err := m.commit(ctx, es, out); err != nil {
		return err
	}
	for i := range out {
		m.apply(&out[i], ts[i].Hold)
	}
	return nil
}

// stamp applies the lifecycle to an engine transition: latched alarms stay
// (as Latched) when the engine would return them to normal; a shelved or
// out-of-service point masks the hold; the lifecycle marks are copied in.
func (m *Manager) stamp(t *alarms.Transition) {
	prev := m.alarms[t.ID]
	if prev != nil {
		t.Notes, t.Resolution = prev.tr.Notes, prev.tr.Resolution
	}
	t.Latched = m.o.Latched(t.Rule)
	t.Zone = m.zones.zoneOf(t.Device)
	if t.Latched && t.To == alarms.Normal && t.Change != alarms.Reset {
		t.To = alarms.Latched
	}
	if prev != nil && prev.tr.To == alarms.Latched && t.Change == alarms.Ack {
		t.To = alarms.Latched
	}
	m.mask(t, t.Hold, m.o.Clock())
}

// mask sets the shelf and out-of-service marks of t's point; base is the
// engine's own hold.
func (m *Manager) mask(t *alarms.Transition, base alarms.Hold, now time.Time) {
	t.Hold, t.ShelvedUntil, t.OutOfService = base, nil, false
	p := m.points[pointKey(t.Rule, t.Device)]
	if p == nil {
		return
	}
	if p.OutOfService {
		t.Hold, t.OutOfService = alarms.HeldOutOfService, true
		return
	}
	if !p.ShelvedUntil.IsZero() && now.Before(p.ShelvedUntil) {
		u := p.ShelvedUntil
		t.Hold, t.ShelvedUntil = alarms.HeldShelved, &u
	}
}

// apply records a stamped transition: the alarm's record, removed once it
// is normal.
func (m *Manager) apply(t *alarms.Transition, engineHold alarms.Hold) {
	if t.To == alarms.Normal {
		delete(m.alarms, t.ID)
		return
	}
	r := m.alarms[t.ID]
	if r == nil {
		r = &record{engineHold: engineHold}
		m.alarms[t.ID] = r
	}
	if t.Change == alarms.Raise || t.Change == alarms.Clear || t.Change == alarms.Ack {
		r.engineHold = engineHold
	}
	r.tr = *t
}
