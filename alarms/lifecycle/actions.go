package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"facmon/alarms"
)

// maxText bounds a reason, note or result.
const maxText = 2000

// Shelve shelves the alarm's (rule, device) for d: its transitions are
// recorded and shown, marked shelved, and not notified, until the shelf
// ends by itself or by Unshelve. A reason is required.
func (m *Manager) Shelve(ctx context.Context, user, id, reason string, d time.Duration) error {
	if err := checkText("reason", reason); err != nil {
		return err
	}
	if d <= 0 || d > m.o.MaxShelf {
		return fmt.Errorf("shelve %q: minutes must be between 1 and %d: %w", id, int(m.o.MaxShelf/time.Minute), ErrBadRequest)
	}
	return m.pointAction(ctx, user, id, alarms.Shelve, reason, func(p *point, now time.Time) error {
		p.ShelvedUntil, p.ShelvedBy = now.Add(d), user
		return nil
	})
}

// Unshelve ends the alarm's shelf.
func (m *Manager) Unshelve(ctx context.Context, user, id string) error {
	return m.pointAction(ctx, user, id, alarms.Unshelve, "", func(p *point, _ time.Time) error {
		if p.ShelvedUntil.IsZero() {
			return fmt.Errorf("alarm %q is not shelved: %w", id, ErrConflict)
		}
		p.ShelvedUntil, p.ShelvedBy = time.Time{}, ""
		return nil
	})
}

// OutOfService takes the alarm's (rule, device) out of service (an
// engineer, with a reason) until InService.
func (m *Manager) OutOfService(ctx context.Context, user, id, reason string) error {
	if err := checkText("reason", reason); err != nil {
		return err
	}
	return m.pointAction(ctx, user, id, alarms.OutOfService, reason, func(p *point, _ time.Time) error {
		p.OutOfService = true
		return nil
	})
}

// InService puts the alarm's (rule, device) back in service.
func (m *Manager) InService(ctx context.Context, user, id string) error {
	return m.pointAction(ctx, user, id, alarms.InService, "", func(p *point, _ time.Time) error {
		if !p.OutOfService {
			return fmt.Errorf("alarm %q is in service: %w", id, ErrConflict)
		}
		p.OutOfService = false
		return nil
	})
}

// Note adds a handling note to the alarm.
func (m *Manager) Note(ctx context.Context, user, id, text string) error {
	if err := checkText("text", text); err != nil {
		return err
	}
	return m.alarmAction(ctx, user, id, alarms.Note, text, func(t *alarms.Transition, now time.Time) error {
		if len(t.Notes) >= m.o.MaxNotes {
			return fmt.Errorf("alarm %q has %d notes already: %w", id, len(t.Notes), ErrConflict)
		}
		t.Notes = append(t.Notes[:len(t.Notes):len(t.Notes)], alarms.AlarmNote{By: user, Time: now, Text: text})
		return nil
	})
}

// Resolve records the result the alarm was handled with, and a note.
func (m *Manager) Resolve(ctx context.Context, user, id, result, note string) error {
	if err := checkText("result", result); err != nil {
		return err
	}
	return m.alarmAction(ctx, user, id, alarms.Resolve, result, func(t *alarms.Transition, now time.Time) error {
		t.Resolution = result
		if note != "" {
			t.Notes = append(t.Notes[:len(t.Notes):len(t.Notes)], alarms.AlarmNote{By: user, Time: now, Text: note})
		}
		return nil
	})
}

// Reset returns a latched alarm to normal once its condition has gone and
// it was acknowledged (state Latched).
func (m *Manager) Reset(ctx context.Context, user, id string) error {
	return m.alarmAction(ctx, user, id, alarms.Reset, "", func(t *alarms.Transition, _ time.Time) error {
		switch {
		case !t.Latched:
			return fmt.Errorf("alarm %q does not latch: %w", id, ErrConflict)
		case t.To != alarms.Latched:
			return fmt.Errorf("alarm %q is %s: reset needs the condition gone and the alarm acknowledged: %w", id, t.To, ErrConflict)
		}
		t.To = alarms.Normal
		return nil
	})
}

// checkText requires a non-empty, bounded text.
func checkText(what, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%s required: %w", what, ErrBadRequest)
	case len(s) > maxText || !utf8.ValidString(s):
		return fmt.Errorf("%s: at most %d bytes of UTF-8: %w", what, maxText, ErrBadRequest)
	}
	return nil
}

// alarmAction changes one alarm's record through f, journals the result
// as an action transition and hands it on.
func (m *Manager) alarmAction(ctx context.Context, user, id string, c alarms.Change, reason string,
	f func(t *alarms.Transition, now time.Time) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.alarms[id]
	if r == nil {
		return fmt.Errorf("alarm %q: %w", id, ErrNoAlarm)
	}
	now := m.o.Clock()
	t := r.tr
	if err := f(&t, now); err != nil {
		return err
	}
	m.actionFields(&t, c, user, reason, now)
	m.mask(&t, r.engineHold, now)
	if err := m.commit(ctx, []Entry{transitionEntry(Action, &t)}, []alarms.Transition{t}); err != nil {
		return err
	}
	m.apply(&t, r.engineHold)
	return nil
}

// actionFields makes t the transition of an operator action.
func (m *Manager) actionFields(t *alarms.Transition, c alarms.Change, user, reason string, now time.Time) {
	t.Change, t.From, t.By, t.Time, t.Reason = c, t.To, user, now, reason
	if c != alarms.Reset {
		t.To = t.From
	}
}

// pointAction changes the (rule, device) of alarm id through f and
// journals one action transition for every alarm of that point on the
// board.
func (m *Manager) pointAction(ctx context.Context, user, id string, c alarms.Change, reason string,
	f func(p *point, now time.Time) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.alarms[id]
	if r == nil {
		return fmt.Errorf("alarm %q: %w", id, ErrNoAlarm)
	}
	key := pointKey(r.tr.Rule, r.tr.Device)
	p := *m.pointOf(key)
	now := m.o.Clock()
	if err := f(&p, now); err != nil {
		return err
	}
	return m.commitPoint(ctx, key, p, c, user, reason, now)
}

// pointOf returns the point of key, a zero one if none.
func (m *Manager) pointOf(key string) *point {
	if p := m.points[key]; p != nil {
		return p
	}
	return &point{}
}

// commitPoint sets point key to p and journals an action transition for
// each of its alarms on the board, in arrival order of their ids.
func (m *Manager) commitPoint(ctx context.Context, key string, p point, c alarms.Change, user, reason string, now time.Time) error {
	old, had := m.points[key]
	m.setPoint(key, p)
	var ts []alarms.Transition
	var es []Entry
	for _, r := range m.sorted() {
		if pointKey(r.tr.Rule, r.tr.Device) != key {
			continue
		}
		t := r.tr
		m.actionFields(&t, c, user, reason, now)
		m.mask(&t, r.engineHold, now)
		ts = append(ts, t)
		es = append(es, transitionEntry(Action, &t))
	}
	if err := m.commit(ctx, es, ts); err != nil {
		if had {
			m.points[key] = old
		} else {
			delete(m.points, key)
		}
		return err
	}
	for i := range ts {
		m.apply(&ts[i], m.alarms[ts[i].ID].engineHold)
	}
	return nil
}

// setPoint stores p, dropping it when nothing is set.
func (m *Manager) setPoint(key string, p point) {
	if p.empty() {
		delete(m.points, key)
		return
	}
	m.points[key] = &p
}

// Advance ends the shelves that expired at or before now: each alarm of
// the point gets an unshelve transition by "facmon", and a later raise
// shows (and notifies) again. Run calls it; tests call it with their
// clock.
func (m *Manager) Advance(ctx context.Context, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, p := range m.points {
		if p.ShelvedUntil.IsZero() || now.Before(p.ShelvedUntil) {
			continue
		}
		q := *p
		q.ShelvedUntil, q.ShelvedBy = time.Time{}, ""
		if err := m.commitPoint(ctx, key, q, alarms.Unshelve, "facmon", "shelf expired", now); err != nil {
			return err
		}
	}
	return nil
}

// Run calls Advance every tick with the clock's time until ctx ends.
func (m *Manager) Run(ctx context.Context, tick time.Duration) error {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := m.Advance(ctx, m.o.Clock()); err != nil {
				m.log.Error("shelf expiry not journaled; retrying", "err", err)
			}
		}
	}
}
