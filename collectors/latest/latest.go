// Package latest keeps the latest value of every signal, with a short
// down-sampled trend of the last hour, for the console's live values and
// the /api/v1/signals endpoint. It is a fan-out consumer: it never blocks
// collection, and it holds only what fits in a fixed budget per signal.
package latest

import (
	"context"
	"sort"
	"sync"
	"time"

	"facmon/collectors"
)

// TrendStep is the spacing of trend samples; TrendLen of them cover an hour.
const (
	TrendStep = 30 * time.Second
	TrendLen  = 120
)

// Sample is one trend value.
type Sample struct {
	Time  time.Time `json:"t"`
	Value float64   `json:"v"`
}

// Value is the latest reading of one signal.
type Value struct {
	Site    string    `json:"site"`
	Area    string    `json:"area"`
	Kind    string    `json:"kind"`
	Device  string    `json:"device"`
	Signal  string    `json:"signal"`
	Value   float64   `json:"value"`
	Bool    bool      `json:"bool,omitempty"`
	Quality string    `json:"quality"`
	Time    time.Time `json:"time"`
	Trend   []Sample  `json:"trend,omitempty"`
}

type key struct{ device, signal string }

type entry struct {
	p     collectors.Point
	trend []Sample // ring, oldest first after ordering
	next  int
}

// Table is the latest-value table. The zero value is not usable; call New.
type Table struct {
	mu sync.RWMutex
	m  map[key]*entry
}

// New returns an empty table.
func New() *Table { return &Table{m: make(map[key]*entry)} }

// Handle is the fan-out consumer entry point.
func (t *Table) Handle(_ context.Context, batch []collectors.Point) { t.Update(batch) }

// Update records a batch of points. Older points than the one held (a
// replay, a late device clock) do not overwrite it.
func (t *Table) Update(batch []collectors.Point) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range batch {
		k := key{p.Device, p.Signal}
		e := t.m[k]
		if e == nil {
			e = &entry{}
			t.m[k] = e
		} else if p.Time.Before(e.p.Time) {
			continue
		}
		e.p = p
		e.addTrend(p)
	}
}

func (e *entry) addTrend(p collectors.Point) {
	if p.Quality == collectors.Bad {
		return
	}
	if n := len(e.trend); n > 0 {
		last := e.trend[(e.next-1+n)%n]
		if p.Time.Sub(last.Time) < TrendStep {
			return
		}
	}
	s := Sample{Time: p.Time, Value: p.Value}
	if len(e.trend) < TrendLen {
		e.trend = append(e.trend, s)
		e.next = len(e.trend) % TrendLen
		return
	}
	e.trend[e.next] = s
	e.next = (e.next + 1) % TrendLen
}

// Filter selects values; empty fields match everything.
type Filter struct {
	Device, Kind, Area, Signal string
	Trend                      bool
}

func (f Filter) match(p collectors.Point) bool {
	return (f.Device == "" || f.Device == p.Device) &&
		(f.Kind == "" || f.Kind == p.Kind) &&
		(f.Area == "" || f.Area == p.Area) &&
		(f.Signal == "" || f.Signal == p.Signal)
}

// Snapshot returns the matching values sorted by device then signal.
func (t *Table) Snapshot(f Filter) []Value {
	t.mu.RLock()
	out := make([]Value, 0, len(t.m))
	for _, e := range t.m {
		if f.match(e.p) {
			out = append(out, e.value(f.Trend))
		}
	}
	t.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Device != out[j].Device {
			return out[i].Device < out[j].Device
		}
		return out[i].Signal < out[j].Signal
	})
	return out
}

// Get returns one signal's latest value.
func (t *Table) Get(device, signal string) (Value, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	e, ok := t.m[key{device, signal}]
	if !ok {
		return Value{}, false
	}
	return e.value(true), true
}

func (e *entry) value(trend bool) Value {
	p := e.p
	v := Value{Site: p.Site, Area: p.Area, Kind: p.Kind, Device: p.Device, Signal: p.Signal,
		Value: p.Value, Bool: p.Bool, Quality: p.Quality.String(), Time: p.Time}
	if trend {
		n := len(e.trend)
		v.Trend = make([]Sample, 0, n)
		start := 0
		if n == TrendLen {
			start = e.next
		}
		for i := range n {
			v.Trend = append(v.Trend, e.trend[(start+i)%n])
		}
	}
	return v
}

// Len is the number of signals held.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}
