package durable

import (
	"context"
	"time"
)

// Group commit is the fsync policy of the spool and the journal, kept
// apart from the log so that it can change on its own: a writer appends
// its frames, joins the pending Group and kicks the Syncer; the Syncer
// waits its window for more writers, then calls the owner's flush once,
// which fsyncs and releases every writer of the group with the result.

// Group is the writers that share one fsync.
type Group struct {
	done chan struct{}
	err  error
}

// NewGroup starts a group; the owner keeps it as its pending group until
// its flush takes it.
func NewGroup() *Group { return &Group{done: make(chan struct{})} }

// Done is closed when the group's fsync has finished.
func (g *Group) Done() <-chan struct{} { return g.done }

// Err is the result of the group's fsync, once Done is closed.
func (g *Group) Err() error { return g.err }

// Release ends the group with the fsync's result. Call it once.
func (g *Group) Release(err error) {
	g.err = err
	close(g.done)
}

// Batch is a log's pending group. Writers Join it, the flush Takes it,
// both under the owner's lock, so that a group holds exactly the writes
// made before the fsync that releases it.
type Batch struct{ g *Group }

// Join returns the pending group, starting one if there is none.
func (b *Batch) Join() *Group {
	if b.g == nil {
		b.g = NewGroup()
	}
	return b.g
}

// Take returns the pending group (nil if none) and starts afresh.
func (b *Batch) Take() *Group {
	g := b.g
	b.g = nil
	return g
}

// Syncer runs the flushes of a log: one goroutine (Run), woken by Kick.
type Syncer struct {
	window time.Duration
	flush  func()
	kick   chan struct{}
}

// NewSyncer makes a syncer that calls flush after each kick, window later
// (at once if window <= 0: writers that arrive during an fsync still
// share the next one).
func NewSyncer(window time.Duration, flush func()) *Syncer {
	return &Syncer{window: window, flush: flush, kick: make(chan struct{}, 1)}
}

// Kick wakes the syncer; it never blocks.
func (s *Syncer) Kick() { Notify(s.kick) }

// Run flushes after kicks until ctx ends. The owner starts it and waits
// for it; its Close flushes once more itself.
func (s *Syncer) Run(ctx context.Context) {
	var t *time.Timer
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		if s.window > 0 {
			if t == nil {
				t = time.NewTimer(s.window)
			} else {
				t.Reset(s.window)
			}
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		s.flush()
	}
}

// Notify sends on a signal channel of capacity 1 without blocking.
func Notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
