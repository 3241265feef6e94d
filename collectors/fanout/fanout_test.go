package fanout

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/collectors"
)

func pts(n int) []collectors.Point {
	b := make([]collectors.Point, n)
	for i := range b {
		b[i] = collectors.Point{Device: "d", Signal: "s", Value: float64(i)}
	}
	return b
}

func TestStoreFirstThenConsumersInOrder(t *testing.T) {
	var mu sync.Mutex
	var stored, seen []float64
	store := collectors.SinkFunc(func(_ context.Context, b []collectors.Point) error {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range b {
			stored = append(stored, p.Value)
		}
		return nil
	})
	done := make(chan struct{})
	f := New(Options{Store: store, Consumers: []Consumer{{Name: "engine", Handle: func(_ context.Context, b []collectors.Point) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range b {
			seen = append(seen, p.Value)
		}
		if len(seen) == 30 {
			close(done)
		}
	}}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Run(ctx)
	for i := 0; i < 3; i++ {
		b := pts(10)
		for j := range b {
			b[j].Value = float64(i*10 + j)
		}
		if err := f.Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("consumer did not see 30 points")
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range 30 {
		if stored[i] != float64(i) || seen[i] != float64(i) {
			t.Fatalf("order broken at %d: stored %v seen %v", i, stored[i], seen[i])
		}
	}
}

func TestStoreErrorIsNotAccepted(t *testing.T) {
	boom := errors.New("disk full")
	called := false
	f := New(Options{
		Store:     collectors.SinkFunc(func(context.Context, []collectors.Point) error { return boom }),
		Consumers: []Consumer{{Name: "c", Handle: func(context.Context, []collectors.Point) { called = true }}},
	})
	if err := f.Publish(context.Background(), pts(1)); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if len(f.queues[0].ch) != 0 || called {
		t.Fatal("a batch the store refused reached a consumer")
	}
}

func TestSlowConsumerDropsAndCountsWithoutBlocking(t *testing.T) {
	reg := prometheus.NewRegistry()
	block := make(chan struct{})
	f := New(Options{Registerer: reg, Consumers: []Consumer{{Name: "slow", Queue: 2, Handle: func(context.Context, []collectors.Point) { <-block }}}})
	// Not running: the queue holds 2 batches; the rest must be dropped at once.
	for range 5 {
		if err := f.Publish(context.Background(), pts(3)); err != nil {
			t.Fatal(err)
		}
	}
	close(block)
	got := testutil.ToFloat64(f.queues[0].dropped)
	if got != 9 {
		t.Fatalf("dropped = %v points, want 9", got)
	}
	if n := testutil.ToFloat64(f.accepted); n != 15 {
		t.Fatalf("accepted = %v, want 15", n)
	}
}

func TestPanickingConsumerDoesNotStopTheQueue(t *testing.T) {
	seen := make(chan int, 2)
	n := 0
	f := New(Options{Consumers: []Consumer{{Name: "p", Handle: func(context.Context, []collectors.Point) {
		n++
		seen <- n
		if n == 1 {
			panic("bad consumer")
		}
	}}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Run(ctx)
	_ = f.Publish(ctx, pts(1))
	_ = f.Publish(ctx, pts(1))
	for want := 1; want <= 2; want++ {
		select {
		case got := <-seen:
			if got != want {
				t.Fatalf("got %d want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("queue stopped after a panic")
		}
	}
}
