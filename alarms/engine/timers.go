package engine

import (
	"container/heap"
	"time"
)

// timer is one pending deadline of one instance. Instances keep their
// current due time; a popped timer whose instance has moved its due time
// is stale and skipped (or re-pushed), so cancelling costs nothing.
type timer struct {
	at   time.Time
	inst *inst
}

// timerHeap orders timers by time, then by instance order for determinism.
type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].inst.order < h[j].inst.order
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// Push adds a timer (heap.Interface).
func (h *timerHeap) Push(x any) { *h = append(*h, x.(timer)) }

// Pop removes the last timer (heap.Interface).
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// schedule sets the instance's due time and pushes a timer unless one at
// or before that time is already queued.
func (e *Engine) schedule(in *inst, at time.Time) {
	in.Due = at
	if !in.queued.IsZero() && !in.queued.After(at) {
		return
	}
	in.queued = at
	heap.Push(&e.timers, timer{at: at, inst: in})
}

// cancel drops the instance's due time; its queued timer becomes stale.
func (in *inst) cancel() { in.Due = time.Time{} }

// fireDue fires, in time order, every timer due at or before now.
func (e *Engine) fireDue(now time.Time) {
	for len(e.timers) > 0 && !e.timers[0].at.After(now) {
		t := heap.Pop(&e.timers).(timer)
		in := t.inst
		if !in.queued.Equal(t.at) {
			continue // an older entry superseded by an earlier push
		}
		in.queued = time.Time{}
		switch {
		case in.dead || in.Due.IsZero():
		case in.Due.After(t.at):
			e.schedule(in, in.Due)
		default:
			in.Due = time.Time{}
			e.now = t.at
			e.onTimer(in, t.at)
		}
	}
}
