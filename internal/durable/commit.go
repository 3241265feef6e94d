package durable

import (
	"context"
	"sync"
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
//
// With a window > 0 it waits that long after the first kick of a group.
// With a window of 0 (the default of the spool and the journal) it
// adapts. A writer that waits for its fsync (Kick) is never held. For
// writers that pipeline (KickStaged) it keeps gathering while appends
// keep arriving — each within a gap of the one before, the gap following
// the recent arrival rate — and the oldest has waited less than
// MaxGather; it flushes at once when appends are sparse. A pipelining
// writer whose acknowledgements wait for the fsync (MQTT messages under
// the broker's in-flight limit) cannot stall its stream: when the broker
// has sent its whole window the arrivals stop, and a gap later the group
// is flushed. The window is so learnt from the stream, not configured.
//
// Sparse staged appends wait for Settle, if set: the spool's are first
// read by the alarm engine, whose journal fsync for an alarm they raise
// must not queue behind the spool's own (see SetSettle).
type Syncer struct {
	window time.Duration
	flush  func()
	kick   chan struct{}
	hurry  chan struct{} // a writer now waits: end the gathering

	mu      sync.Mutex
	settle  func() <-chan struct{}
	first   time.Time     // the oldest arrival not yet flushed; zero if none
	last    time.Time     // the newest arrival
	gap     time.Duration // moving average of the time between arrivals
	waiting bool          // a writer of the pending group waits for the fsync
	settled bool          // the pending group waited for settle
}

// Adaptive group commit bounds.
const (
	// MaxGather bounds how long the oldest append of a group waits for
	// others: the cost is acknowledgement latency only (points reach the
	// alarm engine before their fsync).
	// 80 ms rather than 40 (and 20 before that): at a steady 2,000
	// msg/s each fsync also wakes the runtime's sysmon thread, and halving
	// them again saved ~13 % of the collector's CPU (docs/storage.md); a
	// broker with a small window is not held that long (the MQTT
	// collector learns the window and hurries the group), and the
	// recommended window of 1,000 holds 80 ms of 12,500 msg/s.
	MaxGather = 80 * time.Millisecond
	// minGap is the least time the syncer waits for a next arrival; below
	// it a timer costs more than it saves.
	minGap = 100 * time.Microsecond
	// gapFactor: the group is flushed when no append came for this many
	// average gaps. Larger means fewer wake-ups of the syncer in a steady
	// stream (about one per gapFactor-1 appends), smaller a quicker flush
	// when the broker's in-flight window is full.
	gapFactor = 4
	// sparse: appends further apart than this on average are not gathered.
	sparse = 10 * time.Millisecond
)

// NewSyncer makes a syncer that calls flush after kicks: window later if
// window > 0, at once if window < 0 (appends that arrive during an fsync
// still share the next one: the policy before the adaptive one), else as
// the adaptive policy above decides.
func NewSyncer(window time.Duration, flush func()) *Syncer {
	return &Syncer{window: window, flush: flush, kick: make(chan struct{}, 1),
		hurry: make(chan struct{}, 1), gap: sparse}
}

// SetSettle makes the syncer wait, before it flushes a group of sparse
// staged appends, until settled() is closed, for at most MaxGather after
// the group's first append. The spool waits so for the alarm engine to
// have evaluated what it staged (fanout.Settled): an alarm raised by a
// point is journaled, and its journal fsync would otherwise start while
// the spool's fsync of that very point runs, and wait for it (on one file
// system the two commit one after the other), a few milliseconds more on
// every raise. Only sparse appends wait: they fsync at once otherwise,
// just as the engine reads them; the extra wait delays only their
// acknowledgement, and at a rate that low the broker's in-flight window
// cannot fill.
func (s *Syncer) SetSettle(settled func() <-chan struct{}) {
	s.mu.Lock()
	s.settle = settled
	s.mu.Unlock()
}

// Kick records an append whose writer waits for the fsync, and wakes the
// syncer; it never blocks. Such a writer cannot append again before the
// flush, so holding its group gathers nothing: a group with a waiting
// writer is flushed at once (writers that arrive during the fsync share
// the next one).
func (s *Syncer) Kick() {
	s.arrive(time.Now(), true)
	Notify(s.kick)
}

// KickStaged records an append whose writer does not wait (it pipelines,
// see the spool's Stage): its group gathers as the policy above says.
func (s *Syncer) KickStaged() {
	s.arrive(time.Now(), false)
	Notify(s.kick)
}

// Hurry says that a writer of a staged append now waits for its fsync
// (fanout.Publish for a Modbus poll): the pending group is no longer held.
func (s *Syncer) Hurry() {
	s.mu.Lock()
	if !s.first.IsZero() {
		s.waiting = true
	}
	s.mu.Unlock()
	Notify(s.hurry)
}

// arrive records an append at now.
func (s *Syncer) arrive(now time.Time, waits bool) {
	s.mu.Lock()
	if !s.last.IsZero() {
		d := min(now.Sub(s.last), 4*MaxGather)
		s.gap += (d - s.gap) / 8
	}
	s.last = now
	if s.first.IsZero() {
		s.first = now
	}
	s.waiting = s.waiting || waits
	s.mu.Unlock()
}

// Run flushes after kicks until ctx ends. The owner starts it and waits
// for it; its Close flushes once more itself.
func (s *Syncer) Run(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		for {
			d, settled := s.wait(time.Now())
			if d <= 0 {
				break
			}
			t.Reset(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-s.hurry:
				t.Stop()
			case <-settled:
				t.Stop()
				s.mu.Lock()
				s.settled = true
				s.mu.Unlock()
			case <-t.C:
			}
		}
		s.mu.Lock()
		s.first, s.waiting, s.settled = time.Time{}, false, false // later arrivals start the next group
		s.mu.Unlock()
		s.flush()
	}
}

// wait returns how much longer the pending group should gather (<= 0:
// flush now) and a signal that ends the wait early (nil: none).
func (s *Syncer) wait(now time.Time) (time.Duration, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first.IsZero() {
		return 0, nil // a kick left over from the last group: its flush is harmless
	}
	switch {
	case s.window > 0:
		return s.first.Add(s.window).Sub(now), nil
	case s.window < 0:
		return 0, nil
	}
	if s.waiting {
		return 0, nil
	}
	if s.gap >= sparse {
		if s.settle == nil || s.settled {
			return 0, nil
		}
		return s.first.Add(MaxGather).Sub(now), s.settle()
	}
	more := s.last.Add(max(gapFactor*s.gap, minGap)).Sub(now)
	return min(more, s.first.Add(MaxGather).Sub(now)), nil
}

// Notify sends on a signal channel of capacity 1 without blocking.
func Notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
