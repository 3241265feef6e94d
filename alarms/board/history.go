package board

import "facmon/alarms"

// history is a ring of the last transitions, oldest at head.
type history struct {
	ring  []alarms.Transition
	head  int
	count int
}

func newHistory(n int) history { return history{ring: make([]alarms.Transition, n)} }

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
		if !q.match(t) {
			continue
		}
		if len(out) == q.Limit {
			return out, true
		}
		out = append(out, *t)
	}
	return out, false
}
