package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/alarms/journal"
)

// BenchmarkAckLatency journals transitions through the Manager on a real,
// fsync'd journal from 1, 8 and 64 concurrent callers (operators and the
// runner; the journal's group commit lets concurrent appends share an
// fsync) and reports transitions/s and the 50th and 99th percentile of the
// latency a caller waits for its transition to be durable — what an
// acknowledgement waits for. batch=100 is the engine handing a burst over
// in one call (the runner delivers a batch's transitions at once).
func BenchmarkAckLatency(b *testing.B) {
	for _, c := range []struct{ callers, batch int }{{1, 1}, {8, 1}, {64, 1}, {1, 100}} {
		callers, batch := c.callers, c.batch
		b.Run(fmt.Sprintf("callers=%d/batch=%d", callers, batch), func(b *testing.B) {
			j, err := journal.Open(journal.Options{Dir: b.TempDir(), VerifyInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			m, err := New(Options{Site: testSite(), Journal: j, Clock: time.Now,
				Output: alarms.OutputFunc(func(context.Context, []alarms.Transition) error { return nil })})
			if err != nil {
				b.Fatal(err)
			}
			lat := make([][]time.Duration, callers)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for c := range callers {
				wg.Go(func() {
					for i := c * batch; i < b.N; i += callers * batch {
						ts := make([]alarms.Transition, 0, batch)
						for k := range min(batch, b.N-i) {
							ts = append(ts, alarms.Transition{ID: fmt.Sprintf("r/d%d/%d", c, i+k), Rule: "r", Device: "d",
								Change: alarms.Ack, From: alarms.ActiveUnacked, To: alarms.Normal, By: "op", Time: time.Now()})
						}
						t0 := time.Now()
						if err := m.Transitions(context.Background(), ts); err != nil {
							b.Error(err)
							return
						}
						for range ts {
							lat[c] = append(lat[c], time.Since(t0))
						}
					}
				})
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			all := slices.Concat(lat...)
			slices.Sort(all)
			if len(all) > 0 {
				b.ReportMetric(float64(len(all))/el.Seconds(), "transitions/s")
				b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}
