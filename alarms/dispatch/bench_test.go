package dispatch

import (
	"context"
	"testing"

	"facmon/alarms"
)

// BenchmarkTransitions: the engine's cost of handing one batch to four
// outputs.
func BenchmarkTransitions(b *testing.B) {
	nop := alarms.OutputFunc(func(context.Context, []alarms.Transition) error { return nil })
	d, _ := New(Options{Targets: []Target{{Name: "a", Output: nop}, {Name: "b", Output: nop},
		{Name: "c", Output: nop}, {Name: "d", Output: nop}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	ts := batch("x")
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Transitions(ctx, ts)
	}
	b.StopTimer()
	cancel()
	<-done
}
