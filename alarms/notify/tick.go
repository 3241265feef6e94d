package notify

import (
	"fmt"
	"time"
)

// Tick does what is due at now: flood groups, escalation steps,
// Alertmanager refreshes and the heartbeat. Run calls it; tests call it
// with a simulated clock.
func (s *Service) Tick(now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, g := range s.flood.Due(now) {
		out = s.fire(s.alarmsOf(g.ids), now, out)
	}
	out = s.escalate(now, out)
	out = s.refresh(now, out)
	out = s.heartbeat(now, out)
	return s.enqueue(out)
}

// escalate sends each step reached to the duty level it reached; steps of
// one rule and level at one time go out together.
func (s *Service) escalate(now time.Time, out []Message) []Message {
	steps := s.esc.Due(now)
	for i := 0; i < len(steps); {
		j := i
		per := newAudience()
		for ; j < len(steps) && steps[j].Rule == steps[i].Rule && steps[j].Level == steps[i].Level && steps[j].At.Equal(steps[i].At); j++ {
			a, ok := s.active[steps[j].ID]
			if !ok {
				continue
			}
			people := s.roster.OnDuty(steps[j].At, steps[j].Level)
			if len(people) == 0 {
				s.o.Logger.Warn("notify: nobody on duty to escalate to", "alarm", a.alert.ID, "level", steps[j].Level)
			}
			for _, p := range people {
				per.add(p, a)
			}
		}
		out = per.messages(s, Escalation, steps[i].Level, now, out)
		i = j
	}
	return out
}

// refresh posts the active alerts again to each Alertmanager receiver
// whose period is up.
func (s *Service) refresh(now time.Time, out []Message) []Message {
	for name, next := range s.nextRefresh {
		if next.After(now) {
			continue
		}
		d := s.o.Resend[name]
		s.nextRefresh[name] = now.Add(d)
		var alerts []Alert
		for _, a := range s.active {
			if a.sent && contains(a.plan.Receivers, name) {
				alerts = append(alerts, a.alert)
			}
		}
		if len(alerts) == 0 {
			continue
		}
		m := s.message(Refresh, name, nil, 0, alerts, now)
		m.ID = msgID("refresh", name, fmt.Sprint(now.UnixNano()))
		m.Expires = now.Add(2 * d)
		out = append(out, m)
	}
	return out
}

// heartbeat sends the always-firing watchdog alert when it is due.
func (s *Service) heartbeat(now time.Time, out []Message) []Message {
	hb := s.o.Notify.Heartbeat
	if hb.Interval <= 0 || s.nextBeat.After(now) {
		return out
	}
	s.nextBeat = now.Add(hb.Interval.Std())
	a := Alert{ID: "watchdog/" + s.o.SiteID, Rule: WatchdogAlert, Site: s.o.SiteID, Severity: "none",
		Message: "facmon notification pipeline heartbeat / 通知链路心跳", StartsAt: now}
	s.o.Names.describe(&a)
	for _, r := range hb.Receivers {
		m := s.message(Heartbeat, r, nil, 0, []Alert{a}, now)
		m.ID = msgID("heartbeat", r, fmt.Sprint(now.UnixNano()))
		m.Expires = now.Add(2 * hb.Interval.Std())
		out = append(out, m)
	}
	return out
}

// contains reports whether s holds v.
func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
