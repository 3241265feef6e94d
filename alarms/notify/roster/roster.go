// Package roster answers who is on duty at a time (shifts by weekday and
// time of day in the site's timezone, escalation levels of people and
// groups) and where an alarm goes (routes by severity, device kind and
// area). It is pure: every answer takes the time it is asked about.
package roster

import (
	"fmt"
	"slices"
	"time"

	"facmon/internal/site"
)

// Person is someone who may be notified, with their channels.
type Person struct {
	ID        string
	Name      string
	Phone     string
	Receivers []string
	// Lang is the language of the person's messages ("zh", "en").
	Lang string
}

// shift is a site shift with its times parsed.
type shift struct {
	days     [7]bool
	from, to time.Duration
	levels   [][]string
}

// Roster is the people, groups and shifts of a site.
type Roster struct {
	loc    *time.Location
	people map[string]Person
	groups map[string][]string
	shifts []shift
}

// New builds the roster of a checked site file's notify section.
func New(n *site.Notify, loc *time.Location) (*Roster, error) {
	if loc == nil {
		loc = time.UTC
	}
	r := &Roster{loc: loc, people: map[string]Person{}, groups: map[string][]string{}}
	for _, p := range n.People {
		r.people[p.ID] = Person{ID: p.ID, Name: p.Name, Phone: p.Phone, Receivers: p.Receivers, Lang: p.Lang}
	}
	for _, g := range n.Groups {
		r.groups[g.ID] = g.Members
	}
	for i, s := range n.Shifts {
		sh, err := parseShift(s)
		if err != nil {
			return nil, fmt.Errorf("notify: shift #%d: %w", i+1, err)
		}
		r.shifts = append(r.shifts, sh)
	}
	return r, nil
}

// parseShift reads a shift's days and times; no days means every day,
// from defaults to 00:00 and to to 24:00.
func parseShift(s site.Shift) (shift, error) {
	sh := shift{to: 24 * time.Hour, levels: s.Levels}
	for _, d := range s.Days {
		i := slices.Index(site.Weekdays, d)
		if i < 0 {
			return sh, fmt.Errorf("day %q unknown", d)
		}
		sh.days[i] = true
	}
	if len(s.Days) == 0 {
		sh.days = [7]bool{true, true, true, true, true, true, true}
	}
	var err error
	if s.From != "" {
		if sh.from, err = site.ParseClock(s.From); err != nil {
			return sh, err
		}
	}
	if s.To != "" {
		if sh.to, err = site.ParseClock(s.To); err != nil {
			return sh, err
		}
	}
	return sh, nil
}

// covers reports whether the shift holds at local time t. A shift whose
// end is not after its start runs past midnight into the next day.
func (s *shift) covers(t time.Time) bool {
	mid := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	tod := t.Sub(mid)
	day := int(t.Weekday())
	if s.from < s.to {
		return s.days[day] && tod >= s.from && tod < s.to
	}
	prev := (day + 6) % 7
	return (s.days[day] && tod >= s.from) || (s.days[prev] && tod < s.to)
}

// Levels returns how many escalation levels the shift on duty at t has.
func (r *Roster) Levels(t time.Time) int {
	if s := r.shiftAt(t); s != nil {
		return len(s.levels)
	}
	return 0
}

// shiftAt returns the first shift covering t, or nil.
func (r *Roster) shiftAt(t time.Time) *shift {
	lt := t.In(r.loc)
	for i := range r.shifts {
		if r.shifts[i].covers(lt) {
			return &r.shifts[i]
		}
	}
	return nil
}

// OnDuty returns the people of escalation level (1 first) of the shift on
// duty at t. Past the last level it returns the last level again, so that
// an alarm nobody acknowledges keeps paging the top of the chain.
func (r *Roster) OnDuty(t time.Time, level int) []Person {
	s := r.shiftAt(t)
	if s == nil || len(s.levels) == 0 || level < 1 {
		return nil
	}
	level = min(level, len(s.levels))
	return r.Resolve(s.levels[level-1])
}

// Resolve expands people and groups to people, each once, in order.
func (r *Roster) Resolve(names []string) []Person {
	var out []Person
	seen := map[string]bool{}
	add := func(id string) {
		if p, ok := r.people[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, p)
		}
	}
	for _, n := range names {
		if ms, ok := r.groups[n]; ok {
			for _, m := range ms {
				add(m)
			}
			continue
		}
		add(n)
	}
	return out
}

// Person returns the person with id.
func (r *Roster) Person(id string) (Person, bool) {
	p, ok := r.people[id]
	return p, ok
}
