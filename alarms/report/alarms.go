package report

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"facmon/alarms"
	"facmon/alarms/journal"
	"facmon/internal/site"
)

// Alarms are the report's alarm figures, from the journal.
type Alarms struct {
	// Raised is how many alarms were raised in the period; BySeverity
	// splits them (index: severity-1, critical first).
	Raised     int
	BySeverity [4]int
	// Systems are the raised alarms by the rule's system label, most
	// first; "" for rules without one.
	Systems []SystemCount
	// Noisiest are the ten rules raised most often.
	Noisiest []RuleCount
	// Standing are the alarms whose condition still held at the end.
	Standing []*Occurrence
	// Chattering are the rules on a device raised more than the chatter
	// count within the chatter window.
	Chattering []Chatter
	// Ack and Resolve are the times to acknowledge and to clear, per
	// severity, against the deadlines of 篇4·02PART·11.
	Ack, Resolve [4]Timing
	// Missed lists every missed deadline, oldest raise first.
	Missed []Miss
	// ChatterWindow and ChatterCount are the chatter criterion used.
	ChatterWindow time.Duration
	ChatterCount  int
}

// SystemCount is how many alarms one system raised.
type SystemCount struct {
	System     string
	Total      int
	BySeverity [4]int
}

// RuleCount is how often one rule was raised.
type RuleCount struct {
	Rule string
	// Message is the rule's message of its latest raise (a sample).
	Message string
	Count   int
	Devices int
}

// Occurrence is one alarm from its raise: the journal's transitions of
// one alarm id.
type Occurrence struct {
	ID, Rule, Device, Area, Message, System string
	Severity                                alarms.Severity
	Raised, Acked, Cleared                  time.Time
}

// Chatter is one chattering rule on one device.
type Chatter struct {
	Rule, Device string
	// Count is the raises in the period; Burst the most within one
	// chatter window.
	Count, Burst int
}

// Timing is the times to acknowledge (or to resolve) of one severity.
type Timing struct {
	// Deadline is the site's deadline (0: none).
	Deadline time.Duration
	// Done is how many were acknowledged (resolved); Median and Max their
	// times. Open is how many were not yet.
	Done, Open  int
	Median, Max time.Duration
	// Missed is how many missed the deadline (done late, or open past it).
	Missed int
}

// Miss is one missed deadline.
type Miss struct {
	*Occurrence
	// What is "ack" or "resolve".
	What     string
	Deadline time.Duration
	// Took is how long it took; zero when Open.
	Took time.Duration
	Open bool
}

// Miss kinds.
const (
	MissAck     = "ack"
	MissResolve = "resolve"
)

// occurrences folds the journal's alarm transitions (newest first, as
// Range returns them) into one Occurrence per alarm id.
func occurrences(recs []journal.Record) []*Occurrence {
	byID := map[string]*Occurrence{}
	var out []*Occurrence
	for i := len(recs) - 1; i >= 0; i-- {
		r := &recs[i]
		if r.Type != journal.TypeTransition && r.Type != journal.TypeAction {
			continue
		}
		var t alarms.Transition
		if json.Unmarshal(r.Payload, &t) != nil || t.ID == "" || t.Change == 0 {
			continue
		}
		o := byID[t.ID]
		if o == nil {
			if t.Change != alarms.Raise {
				continue // its raise is older than the journal
			}
			o = &Occurrence{ID: t.ID, Rule: t.Rule, Device: t.Device, Area: t.Area, Message: t.Message,
				System: t.Labels["system"], Severity: t.Severity, Raised: t.Time}
			byID[t.ID] = o
			out = append(out, o)
		}
		switch {
		case t.Change == alarms.Ack && o.Acked.IsZero():
			o.Acked = t.Time
		case t.Change == alarms.Clear && o.Cleared.IsZero():
			o.Cleared = t.Time
		}
	}
	slices.SortStableFunc(out, func(a, b *Occurrence) int { return a.Raised.Compare(b.Raised) })
	return out
}

// alarmFigures computes the alarm figures of p (up to until) as known at
// o.Now.
func alarmFigures(recs []journal.Record, o Options, p Period, until time.Time) Alarms {
	all := occurrences(recs)
	a := Alarms{ChatterWindow: o.ChatterWindow, ChatterCount: o.ChatterCount}
	var in []*Occurrence
	for _, oc := range all {
		if !oc.Raised.Before(p.Start) && oc.Raised.Before(until) {
			in = append(in, oc)
		}
		if oc.Raised.Before(until) && (oc.Cleared.IsZero() || !oc.Cleared.Before(until)) {
			a.Standing = append(a.Standing, oc)
		}
	}
	a.Raised = len(in)
	for _, oc := range in {
		if i := sevIndex(oc.Severity); i >= 0 {
			a.BySeverity[i]++
		}
	}
	a.Systems = systems(in)
	a.Noisiest = noisiest(in, 10)
	a.Chattering = chattering(in, o.ChatterWindow, o.ChatterCount)
	a.deadlines(in, &o.Site.Notify, o.Now())
	return a
}

// sevIndex is the index of s in the per-severity arrays, -1 if unknown.
func sevIndex(s alarms.Severity) int {
	if s < alarms.Critical || s > alarms.Warning {
		return -1
	}
	return int(s) - 1
}

func systems(in []*Occurrence) []SystemCount {
	idx := map[string]int{}
	var out []SystemCount
	for _, oc := range in {
		i, ok := idx[oc.System]
		if !ok {
			i = len(out)
			idx[oc.System] = i
			out = append(out, SystemCount{System: oc.System})
		}
		out[i].Total++
		if s := sevIndex(oc.Severity); s >= 0 {
			out[i].BySeverity[s]++
		}
	}
	slices.SortStableFunc(out, func(a, b SystemCount) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(a.System, b.System))
	})
	return out
}

func noisiest(in []*Occurrence, n int) []RuleCount {
	idx := map[string]int{}
	devs := map[string]map[string]bool{}
	var out []RuleCount
	for _, oc := range in {
		i, ok := idx[oc.Rule]
		if !ok {
			i = len(out)
			idx[oc.Rule] = i
			out = append(out, RuleCount{Rule: oc.Rule})
			devs[oc.Rule] = map[string]bool{}
		}
		out[i].Count++
		out[i].Message = oc.Message
		devs[oc.Rule][oc.Device] = true
	}
	for i := range out {
		out[i].Devices = len(devs[out[i].Rule])
	}
	slices.SortStableFunc(out, func(a, b RuleCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Rule, b.Rule))
	})
	return out[:min(n, len(out))]
}

// chattering finds the rules on a device raised more than count times
// within window (the lifecycle KPI's criterion).
func chattering(in []*Occurrence, window time.Duration, count int) []Chatter {
	type key struct{ rule, dev string }
	times := map[key][]time.Time{}
	var keys []key
	for _, oc := range in {
		k := key{oc.Rule, oc.Device}
		if _, ok := times[k]; !ok {
			keys = append(keys, k)
		}
		times[k] = append(times[k], oc.Raised)
	}
	var out []Chatter
	for _, k := range keys {
		ts := times[k]
		burst, lo := 0, 0
		for hi := range ts {
			for ts[hi].Sub(ts[lo]) >= window {
				lo++
			}
			burst = max(burst, hi-lo+1)
		}
		if burst > count {
			out = append(out, Chatter{Rule: k.rule, Device: k.dev, Count: len(ts), Burst: burst})
		}
	}
	slices.SortStableFunc(out, func(a, b Chatter) int { return cmp.Compare(b.Count, a.Count) })
	return out
}

// deadlines computes the ack and resolve timings and lists the misses.
func (a *Alarms) deadlines(in []*Occurrence, n *site.Notify, now time.Time) {
	ackDL := perSeverity(n.Escalation)
	resDL := perSeverity(n.Resolve)
	var took [2][4][]time.Duration
	for _, oc := range in {
		s := sevIndex(oc.Severity)
		if s < 0 {
			continue
		}
		for k, m := range []struct {
			t    *Timing
			at   time.Time
			dl   time.Duration
			what string
		}{{&a.Ack[s], oc.Acked, ackDL[s], MissAck}, {&a.Resolve[s], oc.Cleared, resDL[s], MissResolve}} {
			m.t.Deadline = m.dl
			if m.at.IsZero() {
				m.t.Open++
				if m.dl > 0 && now.Sub(oc.Raised) > m.dl {
					m.t.Missed++
					a.Missed = append(a.Missed, Miss{Occurrence: oc, What: m.what, Deadline: m.dl, Open: true})
				}
				continue
			}
			d := m.at.Sub(oc.Raised)
			m.t.Done++
			took[k][s] = append(took[k][s], d)
			if m.dl > 0 && d > m.dl {
				m.t.Missed++
				a.Missed = append(a.Missed, Miss{Occurrence: oc, What: m.what, Deadline: m.dl, Took: d})
			}
		}
	}
	for s := range 4 {
		a.Ack[s].Deadline, a.Resolve[s].Deadline = ackDL[s], resDL[s]
		a.Ack[s].Median, a.Ack[s].Max = medianMax(took[0][s])
		a.Resolve[s].Median, a.Resolve[s].Max = medianMax(took[1][s])
	}
}

func perSeverity(e site.Escalation) [4]time.Duration {
	return [4]time.Duration{e.Critical.Std(), e.Major.Std(), e.Minor.Std(), e.Warning.Std()}
}

// medianMax returns the median (the lower middle of an even count) and
// the maximum of ds.
func medianMax(ds []time.Duration) (time.Duration, time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return ds[(len(ds)-1)/2], ds[len(ds)-1]
}

// ZoneEntry is one zone action (arm, disarm, bypass), carried out or
// refused.
type ZoneEntry struct {
	Time                       time.Time
	Zone, Action, User, Reason string
	Refused                    bool
}

// zoneLog lists the zone actions of p, oldest first.
func zoneLog(recs []journal.Record, p Period) []ZoneEntry {
	var out []ZoneEntry
	for i := len(recs) - 1; i >= 0; i-- {
		r := &recs[i]
		if r.Type != journal.TypeAction && r.Type != journal.TypeRefusedAction {
			continue
		}
		if r.Action != "arm" && r.Action != "disarm" && r.Action != "bypass" {
			continue
		}
		if r.Time.Before(p.Start) || !r.Time.Before(p.End) {
			continue
		}
		out = append(out, ZoneEntry{Time: r.Time, Zone: r.Subject, Action: r.Action, User: r.User,
			Reason: r.Reason, Refused: r.Type == journal.TypeRefusedAction})
	}
	return out
}
