package notify

import (
	"time"
)

// flood groups alarms of one rule: the first waits hold for others; if
// another comes, the group gathers until window after the first, then goes
// out as one message with the count and the list. Pure: every call takes
// the time.
type flood struct {
	hold, window time.Duration
	open         map[string]*floodGroup
}

// floodGroup is the alarms of one rule gathering.
type floodGroup struct {
	key   string
	first time.Time
	due   time.Time
	ids   []string
}

// newFlood returns a grouper; hold 0 sends every alarm at once.
func newFlood(hold, window time.Duration) *flood {
	return &flood{hold: hold, window: max(window, hold), open: map[string]*floodGroup{}}
}

// Add puts alarm id under key at now. It returns true when the alarm is
// due at once (no hold).
func (f *flood) Add(key, id string, now time.Time) bool {
	if f.hold <= 0 {
		return true
	}
	g, ok := f.open[key]
	if !ok {
		f.open[key] = &floodGroup{key: key, first: now, due: now.Add(f.hold), ids: []string{id}}
		return false
	}
	g.ids = append(g.ids, id)
	if len(g.ids) == 2 {
		g.due = g.first.Add(f.window)
	}
	return false
}

// Due removes and returns the groups due at now, oldest first.
func (f *flood) Due(now time.Time) []*floodGroup {
	var out []*floodGroup
	for k, g := range f.open {
		if !g.due.After(now) {
			out = append(out, g)
			delete(f.open, k)
		}
	}
	sortGroups(out)
	return out
}

// Take removes and returns the group holding id, if any.
func (f *flood) Take(key, id string) *floodGroup {
	g, ok := f.open[key]
	if !ok {
		return nil
	}
	for _, x := range g.ids {
		if x == id {
			delete(f.open, key)
			return g
		}
	}
	return nil
}

// Next returns when the next group is due, or zero.
func (f *flood) Next() time.Time {
	var n time.Time
	for _, g := range f.open {
		if n.IsZero() || g.due.Before(n) {
			n = g.due
		}
	}
	return n
}

// sortGroups orders groups by their first alarm.
func sortGroups(gs []*floodGroup) {
	for i := 1; i < len(gs); i++ {
		for j := i; j > 0 && gs[j].first.Before(gs[j-1].first); j-- {
			gs[j], gs[j-1] = gs[j-1], gs[j]
		}
	}
}
