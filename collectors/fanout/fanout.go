// Package fanout is the one in-process fan-out between collectors and
// everything that consumes points. A batch is first handed to the durable
// store (the InfluxDB writer's spool) — its fsync is what makes it
// accepted — and, as soon as it is written, before that fsync, offered to
// each consumer (the alarm engine, the latest-value table) through a
// bounded queue. A full queue drops the batch for that
// consumer and counts it; it never blocks collection. Settled tells the
// store when the consumers have handled what was staged (the spool waits
// for it before it fsyncs a sparse append, so that an alarm's journal
// fsync does not queue behind the spool's).
package fanout

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/collectors"
)

// Consumer receives batches in the order they were stored (before their
// fsync: a batch whose fsync fails is stored again and seen twice). Handle
// runs on the consumer's own goroutine and must not modify the batch, which
// is shared by all consumers.
type Consumer struct {
	Name   string
	Queue  int // batches; default 4096
	Handle func(ctx context.Context, batch []collectors.Point)
}

// Options configure a Fanout.
type Options struct {
	// Store makes a batch durable; nil means points are only fanned out
	// (tests, check mode).
	Store      collectors.Sink
	Consumers  []Consumer
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Fanout is a collectors.Sink that stores and then distributes batches.
type Fanout struct {
	store    collectors.Sink
	queues   []queue
	accepted prometheus.Counter
	log      *slog.Logger

	mu      sync.Mutex
	busy    int           // batches being staged or waiting in, or being handled by, a consumer
	settled chan struct{} // closed when busy drops to 0; nil while it is 0
}

type queue struct {
	Consumer
	ch      chan []collectors.Point
	dropped prometheus.Counter
}

// New builds a Fanout; Run starts its consumers.
func New(o Options) *Fanout {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "facmon_fanout_dropped_points_total",
		Help: "Points a consumer's full queue dropped (the store still has them).",
	}, []string{"consumer"})
	accepted := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "facmon_fanout_points_total",
		Help: "Points written to the store and offered to the consumers.",
	})
	o.Registerer.MustRegister(dropped, accepted)
	f := &Fanout{store: o.Store, accepted: accepted, log: o.Logger}
	for _, c := range o.Consumers {
		if c.Queue <= 0 {
			c.Queue = 4096
		}
		f.queues = append(f.queues, queue{
			Consumer: c,
			ch:       make(chan []collectors.Point, c.Queue),
			dropped:  dropped.WithLabelValues(c.Name),
		})
	}
	return f
}

// Publish makes batch durable through the store and offers it to every
// consumer without waiting for them; with a store that stages (the
// InfluxDB writer), the consumers get the batch as soon as it is written,
// before its fsync, so alarms never wait for storage (the alarm path has
// its own durability in the journal). Publish returns once the store
// accepted the batch. The batch must not be modified afterwards.
func (f *Fanout) Publish(ctx context.Context, batch []collectors.Point) error {
	p, err := f.Stage(ctx, batch)
	if err != nil {
		return err
	}
	if err := collectors.Wait(ctx, p); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Stage hands batch to the store without waiting for its fsync, offers
// it to the consumers, and returns the store's acceptance
// (collectors.Stager). A store that cannot stage is waited for first.
func (f *Fanout) Stage(ctx context.Context, batch []collectors.Point) (collectors.Pending, error) {
	if len(batch) == 0 {
		return collectors.Accepted, nil
	}
	// Busy before the store sees the batch: its syncer may ask Settled
	// as soon as the batch is written.
	f.begin(len(f.queues))
	p := collectors.Accepted
	switch st := f.store.(type) {
	case nil:
	case collectors.Stager:
		var err error
		if p, err = st.Stage(ctx, batch); err != nil {
			f.end(len(f.queues))
			return nil, fmt.Errorf("store: %w", err)
		}
	default:
		if err := st.Publish(ctx, batch); err != nil {
			f.end(len(f.queues))
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	f.accepted.Add(float64(len(batch)))
	for i := range f.queues {
		q := &f.queues[i]
		select {
		case q.ch <- batch:
		default:
			q.dropped.Add(float64(len(batch)))
			f.end(1)
		}
	}
	return p, nil
}

// Settled returns a channel that is closed once no batch is being staged
// or waits for or is handled by a consumer (at once if none is). The
// spool's syncer waits on it (durable.Syncer.SetSettle).
func (f *Fanout) Settled() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy == 0 {
		return closed
	}
	if f.settled == nil {
		f.settled = make(chan struct{})
	}
	return f.settled
}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// begin counts n consumers' handling of a batch as busy.
func (f *Fanout) begin(n int) {
	f.mu.Lock()
	f.busy += n
	f.mu.Unlock()
}

// end counts n of them done.
func (f *Fanout) end(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.busy -= n
	if f.busy == 0 && f.settled != nil {
		close(f.settled)
		f.settled = nil
	}
}

// Run drains every consumer's queue until ctx ends, then returns once every
// consumer goroutine has stopped.
func (f *Fanout) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range f.queues {
		q := &f.queues[i]
		wg.Go(func() { q.drain(ctx, f.log, f.end) })
	}
	wg.Wait()
}

func (q *queue) drain(ctx context.Context, log *slog.Logger, end func(int)) {
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-q.ch:
			q.handle(ctx, b, log)
			end(1)
		}
	}
}

// handle calls the consumer and keeps a panicking consumer from taking the
// pipeline down with it.
func (q *queue) handle(ctx context.Context, b []collectors.Point, log *slog.Logger) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("consumer panicked; batch skipped", "consumer", q.Name, "panic", r, "points", len(b))
		}
	}()
	q.Handle(ctx, b)
}
