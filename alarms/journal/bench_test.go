package journal

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkAppend measures journal appends with fsync on this machine's
// disk (t.TempDir), one transition per Append as an acknowledgement
// would make it, and reports:
//
//   - transitions/s: throughput with N concurrent appenders sharing
//     fsyncs (group commit, window DefaultSyncWindow = 0: the syncer
//     fsyncs at once and appends arriving meanwhile share the next fsync);
//   - p50-ms and p99-ms: the latency one Append adds (write + fsync wait).
//
// The goal (issue 5) is >= 5,000 transitions/s with <= 10 ms added to an
// acknowledgement.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name      string
		appenders int
		window    time.Duration
	}{
		{"appenders=1", 1, 0},
		{"appenders=16", 16, 0},
		{"appenders=64", 64, 0},
		{"appenders=64/window=1ms", 64, time.Millisecond},
	} {
		b.Run(bc.name, func(b *testing.B) {
			j, _ := open(b, b.TempDir(), Options{SyncWindow: bc.window})
			rec := transition(1)
			lat := make([][]time.Duration, bc.appenders)
			var next sync.Mutex
			left := b.N
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := range bc.appenders {
				wg.Go(func() {
					for {
						next.Lock()
						if left == 0 {
							next.Unlock()
							return
						}
						left--
						next.Unlock()
						t := time.Now()
						if _, err := j.Append(context.Background(), rec); err != nil {
							b.Error(err)
							return
						}
						lat[w] = append(lat[w], time.Since(t))
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			all := slices.Concat(lat...)
			slices.Sort(all)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "transitions/s")
			b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
			b.ReportMetric(ms(all[len(all)*99/100]), "p99-ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkAckUnderLoad measures what the journal adds to an
// acknowledgement while the engine journals 5,000 transitions/s (8
// goroutines, a batch of 5 every 8 ms each, as the engine hands over
// batches): b.N acks, one Append each, one after another. It reports the
// ack's p50-ms and p99-ms and the background rate reached.
func BenchmarkAckUnderLoad(b *testing.B) {
	for _, window := range []time.Duration{0, time.Millisecond} {
		b.Run("window="+window.String(), func(b *testing.B) {
			j, _ := open(b, b.TempDir(), Options{SyncWindow: window})
			ctx, cancel := context.WithCancel(context.Background())
			var bg sync.WaitGroup
			var mu sync.Mutex
			loaded := 0
			for range 8 {
				bg.Go(func() {
					n := paceLoad(ctx, j, b)
					mu.Lock()
					loaded += n
					mu.Unlock()
				})
			}
			ack := transition(1)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				t := time.Now()
				if _, err := j.Append(context.Background(), ack); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			elapsed := time.Since(start)
			b.StopTimer()
			cancel()
			bg.Wait()
			slices.Sort(lat)
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
			b.ReportMetric(float64(loaded)/elapsed.Seconds(), "load-transitions/s")
		})
	}
}

// paceLoad appends transitions at 625/s (a batch every 8 ms, catching
// up with a bigger batch when an Append or the scheduler was late) until
// ctx ends, and returns how many it appended.
func paceLoad(ctx context.Context, j *Journal, b *testing.B) int {
	const rate = 625.0
	recs := make([]Record, 200)
	for i := range recs {
		recs[i] = transition(2 * i)
	}
	tick := time.NewTicker(8 * time.Millisecond)
	defer tick.Stop()
	start, n := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return n
		case <-tick.C:
		}
		owe := min(int(rate*time.Since(start).Seconds())-n, len(recs))
		if owe <= 0 {
			continue
		}
		if _, err := j.Append(ctx, recs[:owe]...); err != nil {
			if ctx.Err() == nil {
				b.Error(err)
			}
			return n
		}
		n += owe
	}
}
