package lifecycle

import (
	"encoding/json"
	"fmt"
	"time"

	"facmon/alarms"
	"facmon/alarms/engine"
)

// State is the lifecycle's state as a journal snapshot holds it.
type State struct {
	Alarms []StateAlarm         `json:"alarms"`
	Points map[string]point     `json:"points,omitempty"`
	Zones  map[string]ZoneState `json:"zones"`
}

// StateAlarm is one alarm of a State.
type StateAlarm struct {
	alarms.Transition
	EngineHold alarms.Hold `json:"engine_hold,omitempty"`
}

// Snapshot returns the lifecycle's state as JSON, for the journal's
// backups.
func (m *Manager) Snapshot() ([]byte, error) {
	b, _, err := m.SnapshotSeq()
	return b, err
}

// SnapshotSeq returns the lifecycle's state and the journal seq of the
// last entry it includes (journal.Backups.State).
func (m *Manager) SnapshotSeq() ([]byte, uint64, error) {
	m.mu.Lock()
	seq := m.seq
	s := State{Points: map[string]point{}, Zones: map[string]ZoneState{}}
	for _, r := range m.sorted() {
		s.Alarms = append(s.Alarms, StateAlarm{Transition: r.tr, EngineHold: r.engineHold})
	}
	for k, p := range m.points {
		s.Points[k] = *p
	}
	m.mu.Unlock()
	for _, z := range m.zones.list() {
		s.Zones[z.ID] = m.zones.get(z.ID)
	}
	b, err := json.Marshal(nonFinite(s))
	return b, seq, err
}

// nonFinite zeroes the values JSON cannot carry.
func nonFinite(s State) State {
	for i := range s.Alarms {
		if v := s.Alarms[i].Value; v != v || v-v != 0 {
			s.Alarms[i].Value = 0
		}
	}
	return s
}

// Restore loads a snapshot (nil for none) and then replays the journal
// entries written after it, in order: active alarms, acknowledgements,
// latches, shelves, out-of-service marks, notes and zone states come back.
// Call it before the Manager is used.
func (m *Manager) Restore(snapshot []byte, since uint64, es []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq = since
	if len(snapshot) > 0 {
		if err := m.load(snapshot); err != nil {
			return err
		}
	}
	for i := range es {
		m.seq = max(m.seq, es[i].Seq)
		if err := m.replay(&es[i]); err != nil {
			return fmt.Errorf("journal entry %d (%s %s %s): %w", i, es[i].Type, es[i].Action, es[i].Subject, err)
		}
	}
	return nil
}

// load applies a snapshot.
func (m *Manager) load(b []byte) error {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("lifecycle snapshot: %w", err)
	}
	clear(m.alarms)
	for _, a := range s.Alarms {
		m.alarms[a.ID] = &record{tr: a.Transition, engineHold: a.EngineHold}
	}
	clear(m.points)
	for k, p := range s.Points {
		m.setPoint(k, p)
	}
	for id, st := range s.Zones {
		m.zones.set(id, st)
	}
	return nil
}

// replay applies one journal entry.
func (m *Manager) replay(e *Entry) error {
	if e.Type != Transition && e.Type != Action {
		return nil
	}
	if e.Action == "arm" || e.Action == "disarm" || e.Action == "bypass" {
		var z ZoneEvent
		if err := json.Unmarshal(e.Payload, &z); err != nil {
			return err
		}
		m.zones.set(z.Zone, z.State)
		return nil
	}
	var t alarms.Transition
	if err := json.Unmarshal(e.Payload, &t); err != nil {
		return err
	}
	if t.ID == "" {
		return nil // an action on no alarm (a centre command's record)
	}
	t.Seq = e.Seq
	m.replayPoint(&t)
	hold := t.Hold
	if r := m.alarms[t.ID]; r != nil && e.Type == Action {
		hold = r.engineHold
	}
	if t.Hold == alarms.HeldShelved || t.Hold == alarms.HeldOutOfService {
		hold = alarms.NotHeld // the engine's own hold was masked; maintenance is re-marked at the next raise
	}
	m.apply(&t, hold)
	return nil
}

// replayPoint restores the shelf and out-of-service marks of t's point
// from an action transition.
func (m *Manager) replayPoint(t *alarms.Transition) {
	key := pointKey(t.Rule, t.Device)
	p := *m.pointOf(key)
	switch t.Change {
	case alarms.Shelve:
		if t.ShelvedUntil != nil {
			p.ShelvedUntil, p.ShelvedBy = *t.ShelvedUntil, t.By
		}
	case alarms.Unshelve:
		p.ShelvedUntil, p.ShelvedBy = time.Time{}, ""
	case alarms.OutOfService:
		p.OutOfService = true
	case alarms.InService:
		p.OutOfService = false
	default:
		return
	}
	m.setPoint(key, p)
}

// Adopted returns the alarms the engine must take over after a restart
// (engine.Adopt): every alarm the lifecycle holds; latched ones, whose
// condition has gone, are normal to the engine.
func (m *Manager) Adopted() []engine.Adopted {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []engine.Adopted
	for _, r := range m.sorted() {
		t := &r.tr
		if t.To == alarms.Normal {
			continue
		}
		out = append(out, engine.Adopted{Rule: t.Rule, Device: t.Device, ID: t.ID, State: t.To,
			Since: t.ActiveSince, Message: t.Message, Hold: r.engineHold})
	}
	return out
}

// Board returns the current transition of every alarm that is not normal,
// by raise time: what main puts on a fresh board after a restart.
func (m *Manager) Board() []alarms.Transition {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]alarms.Transition, 0, len(m.alarms))
	for _, r := range m.sorted() {
		out = append(out, r.tr)
	}
	return out
}
