package selfcheck

import "time"

// window turns a counter that only grows (until its source restarts) into
// the increase over the last span. Before the first sample the counter
// counts as 0: drops a broker made while facmon was away (a restart, a
// kill -9) are reported once when facmon sees the counter.
type window struct {
	samples []sample
	base    float64 // increase accumulated across restarts of the source
	last    float64
}

type sample struct {
	at    time.Time
	total float64 // base + counter
}

// add records the counter's value v at t.
func (w *window) add(t time.Time, v float64) {
	if len(w.samples) > 0 && v < w.last {
		w.base += w.last // the source restarted: its counter began again
	}
	w.last = v
	w.samples = append(w.samples, sample{at: t, total: w.base + v})
}

func (w *window) seen() bool { return len(w.samples) > 0 }

// in is the increase over the span before now, dropping older samples
// (one older than the span is kept as the baseline).
func (w *window) in(now time.Time, span time.Duration) float64 {
	if len(w.samples) == 0 {
		return 0
	}
	cut := now.Add(-span)
	i := 0
	for i+1 < len(w.samples) && !w.samples[i+1].at.After(cut) {
		i++
	}
	w.samples = w.samples[i:]
	from := 0.0
	if !w.samples[0].at.After(cut) {
		from = w.samples[0].total
	}
	return w.samples[len(w.samples)-1].total - from
}
