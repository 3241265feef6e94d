package backtest

import (
	"math"
	"time"

	"facmon/alarms/rules"
	"facmon/collectors"
)

// envelopes keeps, for every (device, signal) a threshold rule of either
// set watches, the minimum and maximum value per time bucket: the value
// line of the HTML timelines, in memory fixed by the bucket count.
type envelopes struct {
	from  time.Time
	width time.Duration
	n     int
	by    map[sigKey]*envelope
}

type sigKey struct{ Device, Signal string }

// envelope is the min/max per bucket of one signal (NaN: no point).
type envelope struct {
	Min, Max []float64
}

func newEnvelopes(o *Options, sets ...*rules.Set) *envelopes {
	e := &envelopes{from: o.From, n: o.Buckets, by: map[sigKey]*envelope{}}
	e.width = max(o.To.Sub(o.From)/time.Duration(o.Buckets), time.Nanosecond)
	for _, set := range sets {
		for _, r := range set.Rules {
			if r.Threshold == nil {
				continue
			}
			for _, d := range r.Devices {
				k := sigKey{d, r.Signal}
				if e.by[k] == nil {
					e.by[k] = newEnvelope(o.Buckets)
				}
			}
		}
	}
	return e
}

func newEnvelope(n int) *envelope {
	v := &envelope{Min: make([]float64, n), Max: make([]float64, n)}
	for i := range n {
		v.Min[i], v.Max[i] = math.NaN(), math.NaN()
	}
	return v
}

func (e *envelopes) see(p *collectors.Point) {
	v := e.by[sigKey{p.Device, p.Signal}]
	if v == nil {
		return
	}
	i := int(p.Time.Sub(e.from) / e.width)
	if i < 0 || i >= e.n {
		return
	}
	if math.IsNaN(v.Min[i]) || p.Value < v.Min[i] {
		v.Min[i] = p.Value
	}
	if math.IsNaN(v.Max[i]) || p.Value > v.Max[i] {
		v.Max[i] = p.Value
	}
}
