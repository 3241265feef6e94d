package spool

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkAppend measures group commit: appenders in parallel, each
// append one 100-line record (~8 KB, a device poll's worth), for several
// sync windows. It reports appends per fsync and the append latency.
func BenchmarkAppend(b *testing.B) {
	rec := make([]byte, 8<<10)
	for i := range rec {
		rec[i] = byte('a' + i%26)
	}
	for _, window := range []time.Duration{0, 500 * time.Microsecond, time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond} {
		for _, appenders := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("window=%v/appenders=%d", window, appenders), func(b *testing.B) {
				benchAppend(b, rec, window, appenders)
			})
		}
	}
}

func benchAppend(b *testing.B, rec []byte, window time.Duration, appenders int) {
	reg := prometheus.NewRegistry()
	s, err := Open(Options{Dir: b.TempDir(), SyncWindow: window, Registerer: reg, SegmentBytes: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(int64(len(rec)))
	b.ResetTimer()
	var wg sync.WaitGroup
	per := max(b.N/appenders, 1)
	start := time.Now()
	for range appenders {
		wg.Go(func() {
			for range per {
				if err := s.Append(context.Background(), [][]byte{rec}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	n := per * appenders
	fsyncs := float64(histCountB(b, reg))
	b.ReportMetric(float64(n)/fsyncs, "appends/fsync")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "appends/s")
	b.ReportMetric(float64(elapsed.Microseconds())*float64(appenders)/float64(n), "µs/append")
}

func histCountB(b *testing.B, reg *prometheus.Registry) uint64 {
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "facmon_spool_fsync_duration_seconds" {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 1
}
