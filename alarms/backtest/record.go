package backtest

import (
	"slices"
	"time"

	"facmon/alarms"
)

// key is one (rule, device).
type key struct{ Rule, Device string }

// episode is one alarm from its raise to its clear (End zero: still
// active at the end of the history).
type episode struct {
	Start, End time.Time
	Value      float64
}

// recorder collects the alarm episodes of one engine.
type recorder struct {
	eps  map[key][]episode
	open map[key]int // index of the open episode in eps[key]
}

func newRecorder() *recorder {
	return &recorder{eps: map[key][]episode{}, open: map[key]int{}}
}

// add records transitions: a raise opens an episode, a clear closes it.
// Acks and holds do not change whether the condition held.
func (r *recorder) add(trs []alarms.Transition) {
	for i := range trs {
		tr := &trs[i]
		k := key{tr.Rule, tr.Device}
		switch tr.Change {
		case alarms.Raise:
			if _, ok := r.open[k]; ok {
				continue
			}
			r.open[k] = len(r.eps[k])
			r.eps[k] = append(r.eps[k], episode{Start: tr.Time, Value: tr.Value})
		case alarms.Clear:
			if j, ok := r.open[k]; ok {
				r.eps[k][j].End = tr.Time
				delete(r.open, k)
			}
		}
	}
}

// Stats sums the alarms of one (rule, device) under one rule set.
type Stats struct {
	// Raised is the number of alarms raised.
	Raised int `json:"raised"`
	// InAlarm is the total time in alarm (an alarm still active at the end
	// counts until the end).
	InAlarm Dur `json:"in_alarm"`
	// Chattering is the number of chattering episodes: runs of raises in
	// which each raise is at least the ChatterCount-th within
	// ChatterWindow.
	Chattering int `json:"chattering"`
	Longest    Dur `json:"longest"`
	Median     Dur `json:"median"`
	// Active is true if an alarm was still active at the end.
	Active bool `json:"active_at_end,omitempty"`
}

// stats computes Stats of episodes, the open one ending at end.
func stats(eps []episode, end time.Time) Stats {
	var s Stats
	if len(eps) == 0 {
		return s
	}
	durs := make([]time.Duration, len(eps))
	starts := make([]time.Time, len(eps))
	for i, e := range eps {
		stop := e.End
		if stop.IsZero() {
			stop, s.Active = end, true
		}
		durs[i], starts[i] = stop.Sub(e.Start), e.Start
		s.InAlarm += Dur(durs[i])
	}
	s.Raised = len(eps)
	s.Chattering = chatter(starts)
	slices.Sort(durs)
	s.Longest = Dur(durs[len(durs)-1])
	s.Median = Dur(median(durs))
	return s
}

// median of sorted durations (the mean of the middle two for an even count).
func median(d []time.Duration) time.Duration {
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

// chatter counts chattering episodes in raise times (ascending): a raise
// chatters when ChatterCount-1 earlier raises lie within ChatterWindow
// before it; consecutive chattering raises form one episode.
func chatter(starts []time.Time) int {
	n, in := 0, false
	for i := range starts {
		hot := i >= ChatterCount-1 && starts[i].Sub(starts[i-(ChatterCount-1)]) <= ChatterWindow
		if hot && !in {
			n++
		}
		in = hot
	}
	return n
}

// Dur is a duration written as Go writes it ("1h2m3s") in JSON.
type Dur time.Duration

// MarshalText writes the duration as "1h2m3s".
func (d Dur) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// String returns the duration rounded to the second.
func (d Dur) String() string { return time.Duration(d).Round(time.Second).String() }
