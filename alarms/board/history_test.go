package board

import (
	"context"
	"sync"

	"facmon/alarms"
)

// history is a ring of the last transitions, oldest at head: the tests'
// HistorySource (the service reads the journal).
type history struct {
	mu    sync.Mutex
	ring  []alarms.Transition
	head  int
	count int
}

func newHistory(n int) *history { return &history{ring: make([]alarms.Transition, n)} }

// Transitions records ts.
func (h *history) Transitions(_ context.Context, ts []alarms.Transition) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range ts {
		h.add(t)
	}
	return nil
}

// History answers q.
func (h *history) History(_ context.Context, q HistoryQuery) ([]alarms.Transition, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out, more := h.query(q)
	return out, more, nil
}

func (h *history) add(t alarms.Transition) {
	i := (h.head + h.count) % len(h.ring)
	if h.count == len(h.ring) {
		h.head = (h.head + 1) % len(h.ring)
	} else {
		h.count++
	}
	h.ring[i] = t
}

// query walks from the newest transition back.
func (h *history) query(q HistoryQuery) ([]alarms.Transition, bool) {
	var out []alarms.Transition
	for k := h.count - 1; k >= 0; k-- {
		t := &h.ring[(h.head+k)%len(h.ring)]
		if !q.Match(t) {
			continue
		}
		if len(out) == q.Limit {
			return out, true
		}
		out = append(out, *t)
	}
	return out, false
}
