package engine

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/internal/site"
)

const (
	benchDevices = 5000
	benchSignals = 10 // per device: 50,000 signals
	benchRules   = 10000
)

// benchSet builds a site of 50,000 signals and 10,000 threshold rules,
// each on one device's signal (two signals of every device are watched).
func benchSet(b *testing.B) *rules.Set {
	s := &site.Site{ID: "bench", Location: time.UTC, Areas: []site.Area{{ID: "a"}}}
	for d := range benchDevices {
		dev := site.Device{ID: fmt.Sprintf("d%d", d), Kind: "water_tank", Area: "a"}
		for g := range benchSignals {
			dev.Signals = append(dev.Signals, site.Signal{Name: fmt.Sprintf("s%d", g), Type: site.Analog})
		}
		s.Devices = append(s.Devices, dev)
	}
	var y strings.Builder
	y.WriteString("rules:\n")
	for k := range benchRules {
		delay := "0s"
		if k%2 == 1 {
			delay = "2s" // half the rules wait on an on-delay timer
		}
		fmt.Fprintf(&y, "  - {name: r%d, severity: major, cite: bench, select: {device: d%d}, signal: s%d, threshold: {above: 100, deadband: 5, on_delay: %s}}\n",
			k, k%benchDevices, k/benchDevices, delay)
	}
	f, err := rules.Parse("bench.yaml", []byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	set, err := rules.Validate([]*rules.File{f}, s)
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// benchPoints returns one point of every signal, below every threshold.
func benchPoints() []collectors.Point {
	pts := make([]collectors.Point, 0, benchDevices*benchSignals)
	for g := range benchSignals {
		for d := range benchDevices {
			pts = append(pts, collectors.Point{Site: "bench", Device: fmt.Sprintf("d%d", d),
				Signal: fmt.Sprintf("s%d", g), Value: 50, Time: t0})
		}
	}
	return pts
}

// BenchmarkEngineThroughput evaluates points over 50,000 signals against
// 10,000 rules; one op is one point. Goal: ≥ 1,000,000 points/s on one
// core, ≤ 1 allocation per point.
func BenchmarkEngineThroughput(b *testing.B) {
	set := benchSet(b)
	all := benchPoints()
	b.Run("all-signals", func(b *testing.B) { benchProcess(b, set, all) })
	// Only the 10,000 watched signals, a tenth of them crossing their
	// threshold back and forth (a transition every 20 points).
	watched := slices.Clone(all[:benchRules])
	for i := range watched {
		if i%20 == 0 {
			watched[i].Value = 200
		}
	}
	b.Run("watched-signals", func(b *testing.B) { benchProcess(b, set, watched) })
}

// benchProcess processes pts round-robin in batches of 500.
func benchProcess(b *testing.B, set *rules.Set, pts []collectors.Point) {
	e := New(Options{Rules: set})
	const batch = 500
	round := 0
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i += batch {
		off := i % len(pts)
		n := min(batch, b.N-i, len(pts)-off)
		if off == 0 {
			// Each round is a second later; every 20th point crosses its
			// threshold, one way or the other.
			round++
			for j := range pts {
				pts[j].Time = t0.Add(time.Duration(round) * time.Second)
				if j%20 == 0 {
					pts[j].Value = 250 - pts[j].Value
				}
			}
		}
		e.Process(pts[off : off+n])
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "points/s")
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "allocs/point")
}

// latencyOutput records, for each transition, the wall time since the point
// that caused it was stamped.
type latencyOutput struct {
	mu   sync.Mutex
	lats []time.Duration
}

func (o *latencyOutput) Transitions(_ context.Context, ts []alarms.Transition) error {
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, t := range ts {
		o.lats = append(o.lats, now.Sub(t.Time))
	}
	return nil
}

// BenchmarkLatency feeds the Runner 100,000 points/s (a batch of 100 every
// millisecond, one of which crosses a threshold) and reports the point-in →
// transition-out latency. One op is one batch. Goal: p99 ≤ 1 ms.
func BenchmarkLatency(b *testing.B) {
	out := &latencyOutput{}
	r, err := NewRunner(RunnerOptions{Engine: New(Options{Rules: benchSet(b)}), Output: out, Clock: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.Context())
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	pts := benchPoints()
	tick := time.NewTicker(time.Millisecond)
	b.ResetTimer()
	begin := time.Now()
	for i := range b.N {
		// Keep to 100 points per millisecond on average, catching up
		// after a late tick.
		if time.Since(begin) < time.Duration(i)*time.Millisecond {
			<-tick.C
		}
		batch := pts[(i*100)%len(pts):][:100]
		now := time.Now()
		for j := range batch {
			batch[j].Time = now
		}
		batch[0].Value = float64(50 + 100*(i/(len(pts)/100)%2)) // crosses 100 once per round
		r.Publish(ctx, batch)
	}
	tick.Stop()
	b.ReportMetric(float64(b.N*100)/time.Since(begin).Seconds(), "points/s")
	deadline := time.Now().Add(time.Second)
	for len(r.in) > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	wg.Wait()
	b.StopTimer()
	reportLatency(b, out.lats)
}

// reportLatency reports p50, p99 and max in microseconds.
func reportLatency(b *testing.B, lats []time.Duration) {
	if len(lats) == 0 {
		b.Log("no transitions")
		return
	}
	slices.Sort(lats)
	q := func(p float64) float64 { return float64(lats[int(p*float64(len(lats)-1))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(q(1), "max-µs")
	b.ReportMetric(float64(len(lats)), "transitions")
}
