package sse

import (
	"context"
	"sync"
	"testing"

	"facmon/alarms"
)

// BenchmarkPublish: one alarm transition to 10 connected clients (their
// buffers drained by goroutines, no HTTP).
func BenchmarkPublish(b *testing.B) {
	h := New(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 10 {
		c, _, _ := h.subscribe(0, false)
		wg.Go(func() {
			for {
				select {
				case <-c.ch:
				case <-c.gone:
					return
				case <-ctx.Done():
					return
				}
			}
		})
	}
	ts := []alarms.Transition{tr("a")}
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Transitions(ctx, ts)
	}
	b.StopTimer()
	cancel()
	wg.Wait()
}
