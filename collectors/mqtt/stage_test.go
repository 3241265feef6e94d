package mqtt

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/collectors"
)

// stageSink is a collectors.Stager whose staged batches are accepted (or
// fail) when the test says so; Publish (the retry path) accepts at once.
type stageSink struct {
	mu        sync.Mutex
	staged    []*pending
	published [][]collectors.Point
}

type pending struct {
	done chan struct{}
	err  error
}

func (p *pending) Done() <-chan struct{} { return p.done }
func (p *pending) Err() error            { return p.err }

func (s *stageSink) Stage(_ context.Context, b []collectors.Point) (collectors.Pending, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &pending{done: make(chan struct{})}
	s.staged = append(s.staged, p)
	return p, nil
}

func (s *stageSink) Publish(_ context.Context, b []collectors.Point) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.published = append(s.published, b)
	return nil
}

// finish ends every staged batch with err.
func (s *stageSink) finish(err error) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.staged {
		p.err = err
		close(p.done)
	}
	n := len(s.staged)
	s.staged = nil
	return n
}

// TestStagedMessagesAckedWhenDurable: with a staging sink the worker does
// not wait for the fsync (it stages the next messages meanwhile), and a
// message is acked only once its batch is accepted.
func TestStagedMessagesAckedWhenDurable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &stageSink{}
		c, fc, stop := runFake(t, sink, prometheus.NewRegistry())
		defer stop()
		m1 := fc.deliver("estate/pump-room/tank/tank-1/level", "100")
		synctest.Wait()
		m2 := fc.deliver("estate/rooms/room-1/temperature", "21.5")
		synctest.Wait()
		sink.mu.Lock()
		staged := len(sink.staged)
		sink.mu.Unlock()
		if staged != 2 {
			t.Fatalf("%d batches staged, want 2: the worker must not wait for the first one's fsync", staged)
		}
		if m1.acked.Load() || m2.acked.Load() {
			t.Fatal("acked before the batch was durable")
		}
		sink.finish(nil)
		synctest.Wait()
		if !m1.acked.Load() || !m2.acked.Load() {
			t.Fatal("not acked after the batches were accepted")
		}
		if v := testutil.ToFloat64(c.metrics.acked); v != 2 {
			t.Errorf("acked = %v, want 2", v)
		}
	})
}

// TestStagedBatchThatFailsIsStoredAgain: a failed fsync leaves the
// messages unacked until the points are stored again.
func TestStagedBatchThatFailsIsStoredAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &stageSink{}
		c, fc, stop := runFake(t, sink, prometheus.NewRegistry())
		defer stop()
		m := fc.deliver("estate/pump-room/tank/tank-1/level", "100")
		synctest.Wait()
		if n := sink.finish(errors.New("fsync: input/output error")); n != 1 {
			t.Fatalf("%d batches staged, want 1", n)
		}
		synctest.Wait()
		if !m.acked.Load() {
			t.Fatal("not acked after the retry stored the points")
		}
		sink.mu.Lock()
		defer sink.mu.Unlock()
		if len(sink.published) != 1 || len(sink.published[0]) != 2 { // value + status
			t.Fatalf("stored again: %v, want the batch's 2 points", sink.published)
		}
		if v := testutil.ToFloat64(c.metrics.sinkErrors); v != 1 {
			t.Errorf("sink errors = %v, want 1", v)
		}
	})
}

// TestStagedMessagesStayUnackedOnStop: stopping before the fsync leaves
// the messages for the broker to send again.
func TestStagedMessagesStayUnackedOnStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &stageSink{}
		_, fc, stop := runFake(t, sink, prometheus.NewRegistry())
		m := fc.deliver("estate/pump-room/tank/tank-1/level", "100")
		synctest.Wait()
		stop()
		sink.finish(nil)
		if m.acked.Load() {
			t.Fatal("acked although the batch was never durable before the stop")
		}
	})
}

// TestInflightLearnsTheBrokersWindow: the count of unacked messages that
// stops at the same highest value again and again is the broker's window
// (Mosquitto's stock 20); a count that passes it raises the plateau.
func TestInflightLearnsTheBrokersWindow(t *testing.T) {
	var w inflight
	full := func(staged, acked int) bool {
		f := w.staged(staged)
		w.acked(acked)
		return f
	}
	// A stream capped at 20 in flight: batches of 5, a group of 20 acked.
	var fulls []bool
	for range 4 {
		for i := range 4 {
			fulls = append(fulls, full(5, map[bool]int{true: 20}[i == 3]))
		}
	}
	want := []bool{false, false, false, false, false, false, false, false, false, false, false, true, false, false, false, true}
	if !slices.Equal(fulls, want) {
		t.Fatalf("window full after each batch: %v, want %v", fulls, want)
	}
	// The broker now allows more: the count passes 20 and is no longer
	// taken for full until it stops at its new highest three times.
	if full(10, 0) || full(15, 25) || full(20, 20) || full(20, 20) || full(20, 20) {
		t.Fatal("a count past the old plateau was taken for a full window")
	}
	if w.n.Load() != 0 {
		t.Fatalf("in flight %d after every message was acked", w.n.Load())
	}
}
