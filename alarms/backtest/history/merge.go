package history

import (
	"container/heap"
	"context"
	"time"

	"facmon/collectors"
	"facmon/internal/site"
)

// Reader reads a site's recorded points in time order.
type Reader struct {
	c        *client
	pageSize int
}

// New returns a Reader for the InfluxDB o names.
func New(o Options) (*Reader, error) {
	c, err := newClient(o)
	if err != nil {
		return nil, err
	}
	ps := o.PageSize
	if ps <= 0 {
		ps = DefaultPageSize
	}
	return &Reader{c: c, pageSize: ps}, nil
}

// Read calls fn with the recorded points of every device of s whose time
// is in [from, to), in time order across the whole site (at one time, a
// device's status before its values, then devices in file order). The
// slice fn gets is reused after fn returns. Memory is bounded by one page
// per series: two series (values and status) per device.
func (r *Reader) Read(ctx context.Context, s *site.Site, from, to time.Time, fn func([]collectors.Point) error) error {
	h := &cursorHeap{}
	for i := range s.Devices {
		d := &s.Devices[i]
		for _, status := range []bool{true, false} {
			cu := newCursor(r.c, s, d, status, from, to, r.pageSize)
			if err := h.push(ctx, cu, len(h.items)); err != nil {
				return err
			}
		}
	}
	for len(h.items) > 0 {
		it := heap.Pop(h).(item)
		rw, _, _ := it.cu.peek(ctx)
		if len(rw.pts) > 0 {
			if err := fn(rw.pts); err != nil {
				return err
			}
		}
		it.cu.next()
		if err := h.push(ctx, it.cu, it.seq); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// item is one cursor in the heap, ordered by its next row's time.
type item struct {
	at  int64
	seq int // status cursor before value cursor, devices in file order
	cu  *cursor
}

type cursorHeap struct{ items []item }

// push adds cu if it has a next row.
func (h *cursorHeap) push(ctx context.Context, cu *cursor, seq int) error {
	rw, ok, err := cu.peek(ctx)
	if err != nil || !ok {
		return err
	}
	heap.Push(h, item{at: rw.at, seq: seq, cu: cu})
	return nil
}

func (h *cursorHeap) Len() int { return len(h.items) }
func (h *cursorHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}
func (h *cursorHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *cursorHeap) Push(x any)    { h.items = append(h.items, x.(item)) }
func (h *cursorHeap) Pop() any {
	old := h.items
	it := old[len(old)-1]
	h.items = old[:len(old)-1]
	return it
}
