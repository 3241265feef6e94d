package durable

import (
	"context"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC)

// arrivals records n appends every step from t0 and returns the time of
// the last.
func arrivals(s *Syncer, n int, step time.Duration) time.Time {
	at := t0
	for i := range n {
		at = t0.Add(time.Duration(i) * step)
		s.arrive(at, false)
	}
	return at
}

func TestAdaptiveFlushesASparseAppendAtOnce(t *testing.T) {
	s := NewSyncer(0, func() {})
	last := arrivals(s, 1, 0)
	if d, _ := s.wait(last); d > 0 {
		t.Fatalf("a lone append waits %v, want 0", d)
	}
	s = NewSyncer(0, func() {})
	last = arrivals(s, 50, time.Second) // one a second: an alarm now and then
	if d, _ := s.wait(last); d > 0 {
		t.Fatalf("appends 1 s apart: waits %v, want 0", d)
	}
}

func TestAdaptiveGathersWhileAppendsKeepArriving(t *testing.T) {
	s := NewSyncer(0, func() {})
	last := arrivals(s, 80, 500*time.Microsecond) // 2,000/s for 40 ms
	d, _ := s.wait(last)
	if d <= 0 || d > gapFactor*500*time.Microsecond+10*time.Microsecond {
		t.Fatalf("at 2,000/s: waits %v, want %d inter-arrival times", d, gapFactor)
	}
	// The stream stops (the broker's in-flight window is full): a gap
	// later the group goes.
	if d, _ := s.wait(last.Add(3 * time.Millisecond)); d > 0 {
		t.Fatalf("3 ms without an append: waits %v more, want 0", d)
	}
}

func TestAdaptiveBoundsTheOldestWait(t *testing.T) {
	s := NewSyncer(0, func() {})
	arrivals(s, 400, 10*time.Microsecond)
	s.mu.Lock()
	s.first = time.Time{} // a new group starts now, in a dense stream
	s.mu.Unlock()
	at := t0.Add(4 * time.Millisecond)
	for i := range 1000 {
		s.arrive(at, false)
		if d, _ := s.wait(at); d <= 0 {
			if waited := at.Sub(t0.Add(4 * time.Millisecond)); waited < MaxGather-time.Millisecond || waited > MaxGather {
				t.Fatalf("flushed after %v of gathering (arrival %d), want ~%v", waited, i, MaxGather)
			}
			return
		}
		at = at.Add(100 * time.Microsecond)
	}
	t.Fatal("never flushed in a continuous stream")
}

func TestAWaitingWriterIsNotHeld(t *testing.T) {
	s := NewSyncer(0, func() {})
	arrivals(s, 40, 500*time.Microsecond)
	at := t0.Add(20 * time.Millisecond)
	s.arrive(at, true)
	if d, _ := s.wait(at); d > 0 {
		t.Fatalf("a group with a waiting writer waits %v, want 0", d)
	}
}

func TestFixedWindowWaitsItsWindow(t *testing.T) {
	s := NewSyncer(5*time.Millisecond, func() {})
	last := arrivals(s, 1, 0)
	if d, _ := s.wait(last); d != 5*time.Millisecond {
		t.Fatalf("waits %v, want the 5ms window", d)
	}
}

// TestSyncerFlushesEveryKick runs the real goroutine: every kicked
// append is flushed, sparse or dense.
func TestSyncerFlushesEveryKick(t *testing.T) {
	var mu sync.Mutex
	pending, flushes := 0, 0
	done := make(chan struct{}, 1000)
	s := NewSyncer(0, func() {
		mu.Lock()
		for ; pending > 0; pending-- {
			done <- struct{}{}
		}
		flushes++
		mu.Unlock()
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	const n = 500
	for i := range n {
		mu.Lock()
		pending++
		mu.Unlock()
		if i%10 == 0 {
			s.Kick() // a writer that waits
		} else {
			s.KickStaged()
		}
		time.Sleep(50 * time.Microsecond)
	}
	deadline := time.After(30 * time.Second)
	for range n {
		select {
		case <-done:
		case <-deadline:
			t.Fatal("appends not flushed within 30 s")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if flushes >= n {
		t.Logf("note: %d flushes for %d appends (machine too loaded to gather)", flushes, n)
	}
}

func TestHurryEndsTheGathering(t *testing.T) {
	s := NewSyncer(0, func() {})
	last := arrivals(s, 40, 500*time.Microsecond)
	if d, _ := s.wait(last); d <= 0 {
		t.Fatalf("a dense staged stream: waits %v, want > 0", d)
	}
	s.Hurry() // its writer now waits (fanout.Publish)
	if d, _ := s.wait(last); d > 0 {
		t.Fatalf("after Hurry: waits %v, want 0", d)
	}
}

// A sparse staged group waits for Settle (the alarm engine has read what
// was staged), at most MaxGather; a dense one and a waiting writer do not.
func TestSparseStagedWaitsForSettle(t *testing.T) {
	settle := make(chan struct{})
	asked := 0
	s := NewSyncer(0, func() {})
	s.SetSettle(func() <-chan struct{} { asked++; return settle })
	last := arrivals(s, 1, 0)
	d, ch := s.wait(last)
	if d != MaxGather || ch == nil {
		t.Fatalf("a lone staged append: waits %v for %v, want MaxGather for the settle signal", d, ch)
	}
	if d, _ := s.wait(last.Add(MaxGather)); d > 0 {
		t.Fatalf("MaxGather after the append: waits %v more, want 0", d)
	}
	s.settled = true // Run saw the signal
	if d, _ := s.wait(last); d > 0 {
		t.Fatalf("settled: waits %v, want 0", d)
	}

	s = NewSyncer(0, func() {})
	s.SetSettle(func() <-chan struct{} { asked++; return settle })
	asked = 0
	last = arrivals(s, 40, 500*time.Microsecond) // dense: gathers as before
	if d, ch := s.wait(last.Add(3 * time.Millisecond)); d > 0 || ch != nil || asked != 0 {
		t.Fatalf("dense stream after its gap: waits %v for %v (settle asked %d times), want 0, nil, 0", d, ch, asked)
	}
	s = NewSyncer(0, func() {})
	s.SetSettle(func() <-chan struct{} { return settle })
	s.arrive(t0, true)
	if d, ch := s.wait(t0); d > 0 || ch != nil {
		t.Fatalf("a waiting writer: waits %v for %v, want 0", d, ch)
	}
}

// TestSyncerFlushesOnSettle runs the real goroutine: a lone staged append
// is flushed after its settle signal closes.
func TestSyncerFlushesOnSettle(t *testing.T) {
	flushed := make(chan struct{}, 1)
	settle := make(chan struct{})
	s := NewSyncer(0, func() { flushed <- struct{}{} })
	s.SetSettle(func() <-chan struct{} { return settle })
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	s.KickStaged()
	close(settle)
	select {
	case <-flushed:
	case <-time.After(30 * time.Second):
		t.Fatal("not flushed after settle")
	}
}
