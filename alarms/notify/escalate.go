package notify

import (
	"sort"
	"time"
)

// escalator tracks unacknowledged alarms against their deadline
// (篇4·02PART·11): at the deadline the alarm goes to level 2, at the next
// to level 3, and on while nobody acknowledges. Pure: every call takes the
// time.
type escalator struct {
	deadline map[string]time.Duration // by severity name
	open     map[string]*escalation
}

// escalation is one alarm climbing the levels.
type escalation struct {
	id    string
	rule  string
	level int
	every time.Duration
	next  time.Time
}

// step is one alarm reaching a level.
type step struct {
	ID    string
	Rule  string
	Level int
	At    time.Time
}

// newEscalator returns an escalator with deadlines per severity; a
// severity without one does not escalate.
func newEscalator(deadline map[string]time.Duration) *escalator {
	return &escalator{deadline: deadline, open: map[string]*escalation{}}
}

// Start begins the clock of alarm id (level 1 notified at now). It reports
// whether the severity escalates.
func (e *escalator) Start(id, rule, severity string, now time.Time) bool {
	d := e.deadline[severity]
	if d <= 0 {
		return false
	}
	e.open[id] = &escalation{id: id, rule: rule, level: 1, every: d, next: now.Add(d)}
	return true
}

// Stop ends the escalation of id (acknowledged or cleared).
func (e *escalator) Stop(id string) { delete(e.open, id) }

// Level returns the level id has reached, 0 if it is not escalating.
func (e *escalator) Level(id string) int {
	if x, ok := e.open[id]; ok {
		return x.level
	}
	return 0
}

// Due returns the steps reached by now, in time order; a late call returns
// every step missed.
func (e *escalator) Due(now time.Time) []step {
	var out []step
	for _, x := range e.open {
		for !x.next.After(now) {
			x.level++
			out = append(out, step{ID: x.id, Rule: x.rule, Level: x.level, At: x.next})
			x.next = x.next.Add(x.every)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Next returns the next deadline, or zero.
func (e *escalator) Next() time.Time {
	var n time.Time
	for _, x := range e.open {
		if n.IsZero() || x.next.Before(n) {
			n = x.next
		}
	}
	return n
}
