package backtest

import (
	"cmp"
	"slices"
	"time"

	"facmon/alarms/rules"
)

// Report is what a backtest found.
type Report struct {
	Site     string         `json:"site"`
	Location *time.Location `json:"-"`
	From     time.Time      `json:"from"`
	To       time.Time      `json:"to"`
	// Points is the number of recorded points replayed.
	Points int `json:"points"`
	// Rows are the rules and devices that raised an alarm under either
	// rule set, in rule then device order.
	Rows []Row `json:"rows"`
	// Appeared are the alarms only the new rules raise, Disappeared those
	// only the current rules raise, in time order.
	Appeared    []Alarm `json:"appeared"`
	Disappeared []Alarm `json:"disappeared"`
	Gaps        []Gap   `json:"gaps"`
	// Timelines are drawn for each rule and device whose alarms changed.
	Timelines []Timeline `json:"-"`
}

// Row compares one rule on one device under both rule sets.
type Row struct {
	Rule   string `json:"rule"`
	Device string `json:"device"`
	Old    Stats  `json:"old"`
	New    Stats  `json:"new"`
}

// Alarm is one alarm that appears or disappears with the change. End is
// zero when it was still active at the end of the history.
type Alarm struct {
	Rule   string    `json:"rule"`
	Device string    `json:"device"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end,omitzero"`
	// Duration runs to the end of the history for an alarm still active.
	Duration Dur `json:"duration"`
	// AcrossGap is true when the alarm overlaps a gap in the device's data.
	AcrossGap bool `json:"across_gap,omitempty"`
}

// Timeline is the drawing data of one changed (rule, device).
type Timeline struct {
	Rule, Device string
	// Min and Max are the value envelope per bucket (NaN: no data); nil
	// when the rule watches no value with bounds.
	Min, Max []float64
	// OldBounds and NewBounds are the threshold lines (bound and clear
	// level) of each set, when the rule is a threshold rule there.
	OldBounds, NewBounds []float64
	Old, New             []episode
	// Gaps are the device's gaps in the data, shaded.
	Gaps []Gap
}

func (rp *replay) report() *Report {
	o := rp.o
	r := &Report{Site: o.Site.ID, Location: o.Site.Location, From: o.From, To: o.To,
		Points: rp.points, Gaps: rp.gaps.gaps}
	if r.Location == nil {
		r.Location = time.UTC
	}
	for _, k := range rp.keys() {
		oldE, newE := rp.rec[0].eps[k], rp.rec[1].eps[k]
		r.Rows = append(r.Rows, Row{Rule: k.Rule, Device: k.Device, Old: stats(oldE, o.To), New: stats(newE, o.To)})
		gone, came := unmatched(oldE, newE, o.To), unmatched(newE, oldE, o.To)
		r.Disappeared = append(r.Disappeared, rp.alarms(k, gone)...)
		r.Appeared = append(r.Appeared, rp.alarms(k, came)...)
		if len(gone)+len(came) > 0 {
			r.Timelines = append(r.Timelines, rp.timeline(k, oldE, newE))
		}
	}
	byTime := func(a, b Alarm) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Device, b.Device))
	}
	slices.SortStableFunc(r.Appeared, byTime)
	slices.SortStableFunc(r.Disappeared, byTime)
	return r
}

// keys returns every (rule, device) with an alarm, in rule order of the
// current then the new set, devices in order of first raise.
func (rp *replay) keys() []key {
	rank := map[string]int{}
	for _, set := range []*rules.Set{rp.o.Old, rp.o.New} {
		for _, r := range set.Rules {
			if _, ok := rank[r.Name]; !ok {
				rank[r.Name] = len(rank)
			}
		}
	}
	var ks []key
	seen := map[key]bool{}
	for _, rec := range rp.rec {
		for k := range rec.eps {
			if !seen[k] {
				seen[k] = true
				ks = append(ks, k)
			}
		}
	}
	slices.SortFunc(ks, func(a, b key) int {
		return cmp.Or(cmp.Compare(rank[a.Rule], rank[b.Rule]), cmp.Compare(a.Device, b.Device))
	})
	return ks
}

// unmatched returns the episodes of a that overlap no episode of b.
func unmatched(a, b []episode, end time.Time) []episode {
	var out []episode
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y episode) bool { return overlap(x, y, end) }) {
			out = append(out, x)
		}
	}
	return out
}

// overlap reports whether two episodes share time (open ones run to end).
func overlap(x, y episode, end time.Time) bool {
	xe, ye := cmp.Or(x.End, end), cmp.Or(y.End, end)
	if x.Start.Equal(y.Start) {
		return true
	}
	return x.Start.Before(ye) && y.Start.Before(xe)
}

func (rp *replay) alarms(k key, eps []episode) []Alarm {
	out := make([]Alarm, 0, len(eps))
	for _, e := range eps {
		stop := cmp.Or(e.End, rp.o.To)
		out = append(out, Alarm{Rule: k.Rule, Device: k.Device, Start: e.Start, End: e.End,
			Duration: Dur(stop.Sub(e.Start)), AcrossGap: overlaps(rp.gaps.gaps, k.Device, e.Start, e.End)})
	}
	return out
}

func (rp *replay) timeline(k key, oldE, newE []episode) Timeline {
	tl := Timeline{Rule: k.Rule, Device: k.Device, Old: oldE, New: newE}
	for _, g := range rp.gaps.gaps {
		if g.Device == k.Device {
			tl.Gaps = append(tl.Gaps, g)
		}
	}
	oldR, newR := findRule(rp.o.Old, k.Rule), findRule(rp.o.New, k.Rule)
	for _, r := range []*rules.Rule{oldR, newR} {
		if r != nil && r.Threshold != nil {
			if v := rp.env.by[sigKey{k.Device, r.Signal}]; v != nil {
				tl.Min, tl.Max = v.Min, v.Max
			}
		}
	}
	tl.OldBounds, tl.NewBounds = bounds(oldR), bounds(newR)
	return tl
}

func findRule(set *rules.Set, name string) *rules.Rule {
	for _, r := range set.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// bounds are a threshold rule's bound and clear level (bound ± deadband).
func bounds(r *rules.Rule) []float64 {
	if r == nil || r.Threshold == nil {
		return nil
	}
	th := r.Threshold
	var out []float64
	if th.Below != nil {
		out = append(out, *th.Below)
		if th.Deadband != 0 {
			out = append(out, *th.Below+th.Deadband)
		}
	}
	if th.Above != nil {
		out = append(out, *th.Above)
		if th.Deadband != 0 {
			out = append(out, *th.Above-th.Deadband)
		}
	}
	return out
}
