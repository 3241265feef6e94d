package dispatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms"
)

// queue is one output's bounded queue and the state of its goroutine.
type queue struct {
	name    string
	out     alarms.Output
	ch      chan []alarms.Transition
	log     *slog.Logger
	dropped prometheus.Counter
	errs    prometheus.Counter
	sent    prometheus.Counter
	depth   prometheus.Gauge
}

func newQueue(t Target, m *metrics, log *slog.Logger) *queue {
	if t.Queue <= 0 {
		t.Queue = DefaultQueue
	}
	return &queue{
		name: t.Name, out: t.Output, ch: make(chan []alarms.Transition, t.Queue),
		log:     log.With("output", t.Name),
		dropped: m.dropped.WithLabelValues(t.Name),
		errs:    m.errors.WithLabelValues(t.Name),
		sent:    m.sent.WithLabelValues(t.Name),
		depth:   m.queued.WithLabelValues(t.Name),
	}
}

// offer queues batch without blocking; a full queue drops it.
func (q *queue) offer(batch []alarms.Transition) {
	select {
	case q.ch <- batch:
		q.depth.Inc()
	default:
		q.dropped.Add(float64(len(batch)))
		q.log.Error("alarm output queue full, transitions dropped for this output",
			"dropped", len(batch), "first_id", batch[0].ID, "queue", cap(q.ch))
	}
}

// run delivers batches in order until ctx ends, then drains the queue.
// Deliveries run under a context that outlives ctx by drain, so that a
// clean shutdown neither aborts the batch in hand nor loses what a healthy
// output could still take.
func (q *queue) run(ctx context.Context, drain time.Duration) {
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(drain, cancel) })
	defer stopGrace()
	for {
		select {
		case b := <-q.ch:
			q.deliver(dctx, b)
		case <-ctx.Done():
			q.drain(dctx)
			return
		}
	}
}

func (q *queue) drain(ctx context.Context) {
	for {
		select {
		case b := <-q.ch:
			if ctx.Err() != nil {
				q.depth.Dec()
				q.dropped.Add(float64(len(b)))
				continue
			}
			q.deliver(ctx, b)
		default:
			return
		}
	}
}

func (q *queue) deliver(ctx context.Context, b []alarms.Transition) {
	q.depth.Dec()
	if err := q.out.Transitions(ctx, b); err != nil {
		q.errs.Inc()
		q.log.Warn("alarm output failed", "transitions", len(b), "first_id", b[0].ID, "err", err)
		return
	}
	q.sent.Add(float64(len(b)))
}
