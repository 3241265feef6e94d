package notify

import (
	"time"

	"facmon/alarms/notify/roster"
)

// audience gathers, per person, the alarms they are to hear of.
type audience struct {
	order  []string
	people map[string]roster.Person
	alarms map[string][]*alarm
}

// newAudience returns an empty audience.
func newAudience() *audience {
	return &audience{people: map[string]roster.Person{}, alarms: map[string][]*alarm{}}
}

// add tells p of a, once.
func (au *audience) add(p roster.Person, a *alarm) {
	if _, ok := au.people[p.ID]; !ok {
		au.order = append(au.order, p.ID)
		au.people[p.ID] = p
	}
	for _, x := range au.alarms[p.ID] {
		if x == a {
			return
		}
	}
	au.alarms[p.ID] = append(au.alarms[p.ID], a)
}

// messages builds each person's messages and records that they heard.
func (au *audience) messages(s *Service, ev Event, level int, now time.Time, out []Message) []Message {
	for _, id := range au.order {
		p := au.people[id]
		var alerts []Alert
		for _, a := range au.alarms[id] {
			alerts = append(alerts, a.alert)
			a.heard(p)
		}
		out = append(out, s.personal(ev, p, level, alerts, now)...)
	}
	return out
}

// heard records that p was told of the alarm.
func (a *alarm) heard(p roster.Person) {
	for _, x := range a.people {
		if x.ID == p.ID {
			return
		}
	}
	a.people = append(a.people, p)
}
