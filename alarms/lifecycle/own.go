package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"facmon/alarms"
)

// LinkageFailedRule is the rule name of the alarm a failed linkage action
// raises. Such alarms are not the engine's: they are events, raised here
// and back to normal once acknowledged.
const LinkageFailedRule = "linkage-failed"

// Record journals an entry that changes no alarm (a linkage write and its
// result); it returns once the entry is durable.
func (m *Manager) Record(ctx context.Context, e Entry) error {
	if e.Time.IsZero() {
		e.Time = m.o.Clock()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.commit(ctx, []Entry{e}, nil)
}

// RaiseEvent raises an alarm that no rule evaluates (LinkageFailedRule):
// journaled, handed on, and on the board until acknowledged.
func (m *Manager) RaiseEvent(ctx context.Context, t alarms.Transition) error {
	now := m.o.Clock()
	if t.Time.IsZero() {
		t.Time = now
	}
	t.ActiveSince, t.Change, t.From, t.To = t.Time, alarms.Raise, alarms.Normal, alarms.ActiveUnacked
	if t.ID == "" {
		t.ID = alarms.AlarmID(t.Rule, t.Device, t.Time)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for m.alarms[t.ID] != nil { // two failures of one device in one millisecond
		t.Time = t.Time.Add(time.Millisecond)
		t.ActiveSince, t.ID = t.Time, alarms.AlarmID(t.Rule, t.Device, t.Time)
	}
	m.stampEvent(&t)
	if err := m.commit(ctx, []Entry{transitionEntry(Transition, &t)}, []alarms.Transition{t}); err != nil {
		return err
	}
	m.apply(&t, t.Hold)
	return nil
}

// stampEvent copies the lifecycle marks into an event's transition.
func (m *Manager) stampEvent(t *alarms.Transition) {
	t.Zone = m.zones.zoneOf(t.Device)
	m.mask(t, t.Hold, m.o.Clock())
}

// AckEvent acknowledges an alarm raised by RaiseEvent; it returns to
// normal. ok is false if id is no such alarm (then it is the engine's).
func (m *Manager) AckEvent(ctx context.Context, id, user string) (ok bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.alarms[id]
	if r == nil || r.tr.Rule != LinkageFailedRule {
		return false, nil
	}
	if r.tr.To != alarms.ActiveUnacked {
		return true, fmt.Errorf("alarm %q is %s: %w", id, r.tr.To, ErrConflict)
	}
	t := r.tr
	t.Change, t.From, t.To, t.By, t.Time, t.Reason = alarms.Ack, t.To, alarms.Normal, user, m.o.Clock(), ""
	if err := m.commit(ctx, []Entry{transitionEntry(Transition, &t)}, []alarms.Transition{t}); err != nil {
		return true, err
	}
	m.apply(&t, r.engineHold)
	return true, nil
}

// AckCleared acknowledges an occurrence whose condition has gone and that
// the engine no longer tracks, because a later occurrence of the same rule
// on the same device replaced it there (a chattering point, or two
// occurrences adopted after a restart): it returns to normal, or to
// latched for a latched rule, as the engine's ack would. ok is false if
// id is no such alarm awaiting acknowledgement with its condition gone.
func (m *Manager) AckCleared(ctx context.Context, id, user string) (ok bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.alarms[id]
	if r == nil || r.tr.To != alarms.ClearedUnacked {
		return false, nil
	}
	t := r.tr
	t.Change, t.From, t.To, t.By, t.Time, t.Reason = alarms.Ack, t.To, alarms.Normal, user, m.o.Clock(), ""
	if t.Latched {
		t.To = alarms.Latched
	}
	if err := m.commit(ctx, []Entry{transitionEntry(Transition, &t)}, []alarms.Transition{t}); err != nil {
		return true, err
	}
	m.apply(&t, r.engineHold)
	return true, nil
}

// LinkageEntry builds the journal entry of a linkage action.
func LinkageEntry(at time.Time, action, subject, result string, payload any) Entry {
	b, _ := json.Marshal(payload)
	return Entry{Type: Linkage, Time: at, User: "facmon", Action: action, Subject: subject, Reason: result, Payload: b}
}

// AwaitsAck reports whether alarm id is on the board awaiting
// acknowledgement (after an ack, it means the ack was not journaled).
func (m *Manager) AwaitsAck(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.alarms[id]
	return r != nil && (r.tr.To == alarms.ActiveUnacked || r.tr.To == alarms.ClearedUnacked)
}
