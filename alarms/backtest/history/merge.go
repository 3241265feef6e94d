package history

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"facmon/collectors"
	"facmon/internal/site"
)

// Reader reads a site's recorded points in time order.
type Reader struct {
	c          *client
	pageSize   int
	concurrent int
}

// New returns a Reader for the InfluxDB o names.
func New(o Options) (*Reader, error) {
	c, err := newClient(o)
	if err != nil {
		return nil, err
	}
	r := &Reader{c: c, pageSize: o.PageSize, concurrent: o.Concurrent}
	if r.pageSize <= 0 {
		r.pageSize = DefaultPageSize
	}
	if r.concurrent <= 0 {
		r.concurrent = DefaultConcurrent
	}
	return r, nil
}

// Read calls fn with the recorded points whose time is in [from, to): of
// every device of s, or, when sel is not nil, of the devices it names and
// only the signals it lists for each (a device's status is always read),
// in time order across the whole site (at one time, a
// device's status before its values, then devices in file order). The
// slice fn gets is reused after fn returns. Memory is bounded by two
// pages (the one read and the one fetched ahead) per series, two series
// (values and status) per device.
func (r *Reader) Read(ctx context.Context, s *site.Site, from, to time.Time, sel map[string][]string, fn func([]collectors.Point) error) error {
	ctx, cancel := context.WithCancel(ctx)
	f := &fetcher{sem: make(chan struct{}, r.concurrent)}
	defer f.wg.Wait()
	defer cancel()
	h := &cursorHeap{}
	for i := range s.Devices {
		only, ok := sel[s.Devices[i].ID]
		if sel != nil && !ok {
			continue
		}
		for j, status := range []bool{true, false} {
			if !status && only != nil && len(only) == 0 {
				continue
			}
			cu := newCursor(r.c, s, &s.Devices[i], status, only, from, to, r.pageSize)
			cu.prefetch(ctx, f)
			h.items = append(h.items, item{seq: 2*i + j, cu: cu})
		}
	}
	pending := h.items
	h.items = nil
	for _, it := range pending {
		if err := h.push(ctx, f, it.cu, it.seq); err != nil {
			return err
		}
	}
	var buf []collectors.Point
	for len(h.items) > 0 {
		it := heap.Pop(h).(item)
		buf = it.cu.points(buf[:0])
		if len(buf) > 0 {
			if err := fn(buf); err != nil {
				return err
			}
		}
		if err := h.push(ctx, f, it.cu, it.seq); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// fetcher runs page fetches in the background, at most cap(sem) at once,
// and waits for them when Read returns.
type fetcher struct {
	sem chan struct{}
	wg  sync.WaitGroup
}

// run runs do in a goroutine once a slot is free; do must not block
// after ctx ends (its result channel is buffered).
func (f *fetcher) run(ctx context.Context, do func()) {
	f.wg.Go(func() {
		select {
		case f.sem <- struct{}{}:
		case <-ctx.Done():
			do() // answers at once: its query sees the cancelled ctx
			return
		}
		defer func() { <-f.sem }()
		do()
	})
}

// item is one cursor in the heap, ordered by its next row's time.
type item struct {
	at  int64
	seq int // status cursor before value cursor, devices in file order
	cu  *cursor
}

type cursorHeap struct{ items []item }

// push adds cu if it has a next row.
func (h *cursorHeap) push(ctx context.Context, f *fetcher, cu *cursor, seq int) error {
	at, ok, err := cu.at(ctx, f)
	if err != nil || !ok {
		return err
	}
	heap.Push(h, item{at: at, seq: seq, cu: cu})
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
