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

// stagingStore stages batches and accepts them when release is closed.
type stagingStore struct {
	release chan struct{}
	err     error
}

func (s *stagingStore) Publish(ctx context.Context, b []collectors.Point) error {
	p, _ := s.Stage(ctx, b)
	return collectors.Wait(ctx, p)
}

func (s *stagingStore) Stage(context.Context, []collectors.Point) (collectors.Pending, error) {
	return s, nil
}

func (s *stagingStore) Done() <-chan struct{} { return s.release }
func (s *stagingStore) Err() error            { return s.err }

// TestConsumersDoNotWaitForTheFsync: with a store that stages, the alarm
// engine gets a batch while its fsync is still running, and Publish
// returns only once the store accepted it.
func TestConsumersDoNotWaitForTheFsync(t *testing.T) {
	store := &stagingStore{release: make(chan struct{})}
	got := make(chan int, 1)
	f := New(Options{Store: store, Consumers: []Consumer{{Name: "engine", Handle: func(_ context.Context, b []collectors.Point) {
		got <- len(b)
	}}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Run(ctx)
	published := make(chan error, 1)
	go func() { published <- f.Publish(ctx, pts(3)) }()
	select {
	case n := <-got:
		if n != 3 {
			t.Fatalf("engine got %d points, want 3", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the engine did not get the batch before its fsync")
	}
	select {
	case err := <-published:
		t.Fatalf("Publish returned (%v) before the store accepted the batch", err)
	default:
	}
	store.err = nil
	close(store.release)
	if err := <-published; err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

func TestPublishReportsAFailedFsync(t *testing.T) {
	store := &stagingStore{release: make(chan struct{}), err: errors.New("fsync: input/output error")}
	close(store.release)
	f := New(Options{Store: store})
	if err := f.Publish(context.Background(), pts(1)); err == nil {
		t.Fatal("Publish returned nil for a batch whose fsync failed")
	}
}

// probeStore is a staging store that asks Settled while it writes, as
// the spool's syncer does when the write wakes it.
type probeStore struct {
	f       *Fanout
	settled <-chan struct{}
}

func (s *probeStore) Publish(context.Context, []collectors.Point) error { return nil }

func (s *probeStore) Stage(context.Context, []collectors.Point) (collectors.Pending, error) {
	s.settled = s.f.Settled()
	return collectors.Accepted, nil
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestSettledWhenTheConsumersHandledTheBatch: Settled, asked while the
// store writes a batch, closes only once every consumer has handled it
// (the spool fsyncs a sparse append after the alarm engine evaluated it).
func TestSettledWhenTheConsumersHandledTheBatch(t *testing.T) {
	store := &probeStore{}
	gate := make(chan struct{})
	handled := make(chan struct{}, 1)
	f := New(Options{Store: store, Consumers: []Consumer{
		{Name: "latest", Handle: func(context.Context, []collectors.Point) {}},
		{Name: "engine", Handle: func(context.Context, []collectors.Point) { <-gate; handled <- struct{}{} }},
	}})
	store.f = f
	if !isClosed(f.Settled()) {
		t.Fatal("Settled not closed with nothing staged")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Run(ctx)
	if _, err := f.Stage(ctx, pts(2)); err != nil {
		t.Fatal(err)
	}
	if isClosed(store.settled) {
		t.Fatal("Settled, asked while the batch was written, is already closed")
	}
	close(gate)
	<-handled
	select {
	case <-store.settled:
	case <-time.After(30 * time.Second):
		t.Fatal("Settled not closed after the consumers handled the batch")
	}
	if !isClosed(f.Settled()) {
		t.Fatal("Settled not closed once idle")
	}
}

// A batch a full queue drops, or the store refuses, does not hold Settled.
func TestSettledNotHeldByDroppedOrRefusedBatches(t *testing.T) {
	f := New(Options{Consumers: []Consumer{{Name: "slow", Queue: 1, Handle: func(context.Context, []collectors.Point) {}}}})
	_ = f.Publish(context.Background(), pts(1)) // queued (not running)
	_ = f.Publish(context.Background(), pts(1)) // dropped
	if isClosed(f.Settled()) {
		t.Fatal("Settled closed with a batch queued")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Run(ctx)
	select {
	case <-f.Settled():
	case <-time.After(30 * time.Second):
		t.Fatal("Settled not closed: the dropped batch is still counted")
	}
	refusing := New(Options{Store: collectors.SinkFunc(func(context.Context, []collectors.Point) error { return errors.New("disk full") }),
		Consumers: []Consumer{{Name: "c", Handle: func(context.Context, []collectors.Point) {}}}})
	if err := refusing.Publish(context.Background(), pts(1)); err == nil {
		t.Fatal("a refused batch was accepted")
	}
	if !isClosed(refusing.Settled()) {
		t.Fatal("Settled held by a batch the store refused")
	}
}
