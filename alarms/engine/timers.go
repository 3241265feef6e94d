package engine

import "time"

// timer is one pending deadline of one instance. Instances keep their
// current due time; a popped timer whose instance has moved its due time
// is stale and skipped (or re-pushed), so cancelling costs nothing.
type timer struct {
	at   time.Time
	inst *inst
}

// timerHeap is a binary min-heap of timers ordered by time, then by
// instance order for determinism. It is hand-rolled rather than
// container/heap so that pushing a timer does not box it (no allocation
// on the hot path).
type timerHeap []timer

// less orders timers i and j.
func (h timerHeap) less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].inst.order < h[j].inst.order
}

// push adds t.
func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	for i := len(*h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		(*h)[i], (*h)[p] = (*h)[p], (*h)[i]
		i = p
	}
}

// pop removes and returns the earliest timer.
func (h *timerHeap) pop() timer {
	old := *h
	top := old[0]
	n := len(old) - 1
	old[0] = old[n]
	old[n] = timer{}
	*h = old[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		(*h)[i], (*h)[m] = (*h)[m], (*h)[i]
		i = m
	}
	return top
}

// schedule sets the instance's due time and pushes a timer unless one at
// or before that time is already queued.
func (e *Engine) schedule(in *inst, at time.Time) {
	in.Due = at
	if !in.queued.IsZero() && !in.queued.After(at) {
		return
	}
	in.queued = at
	e.timers.push(timer{at: at, inst: in})
}

// cancel drops the instance's due time; its queued timer becomes stale.
func (in *inst) cancel() { in.Due = time.Time{} }

// fireDue fires, in time order, every timer due at or before now.
func (e *Engine) fireDue(now time.Time) {
	for len(e.timers) > 0 && !e.timers[0].at.After(now) {
		t := e.timers.pop()
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
