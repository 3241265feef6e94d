package notify

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"facmon/alarms/notify/outbox"
)

// Backoff bounds the waits between attempts of one message: Min after the
// first failure, doubling up to Max, each wait drawn at random from its
// upper half (jitter), so that receivers coming back are not hit by every
// sender at once.
type Backoff struct {
	Min, Max time.Duration
}

// wait returns the wait before attempt n+1 after n failures (n >= 1).
func (b Backoff) wait(n int) time.Duration {
	d := b.Min
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	half := d / 2
	return half + rand.N(half+1)
}

// queue is one receiver's own line of messages and the goroutine that
// sends them in order, so that a dead receiver delays no other.
type queue struct {
	name    string
	n       Notifier
	ob      *outbox.Outbox
	backoff Backoff
	limit   *limiter
	timeout time.Duration
	now     func() time.Time
	log     *slog.Logger
	m       *metrics

	mu    sync.Mutex
	items []outbox.Entry
	wake  chan struct{}
}

// push appends entries and wakes the sender.
func (q *queue) push(es ...outbox.Entry) {
	q.mu.Lock()
	q.items = append(q.items, es...)
	n := len(q.items)
	q.mu.Unlock()
	q.m.queued.WithLabelValues(q.name).Set(float64(n))
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// head returns the first entry, waiting for one; false when ctx ends.
func (q *queue) head(ctx context.Context) (outbox.Entry, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			e := q.items[0]
			q.mu.Unlock()
			return e, true
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return outbox.Entry{}, false
		case <-q.wake:
		}
	}
}

// pop removes the first entry.
func (q *queue) pop() {
	q.mu.Lock()
	q.items = q.items[1:]
	n := len(q.items)
	q.mu.Unlock()
	q.m.queued.WithLabelValues(q.name).Set(float64(n))
}

// run sends until ctx ends.
func (q *queue) run(ctx context.Context) {
	for {
		e, ok := q.head(ctx)
		if !ok {
			return
		}
		if !q.deliver(ctx, e) {
			return
		}
		q.pop()
		if err := q.ob.Done(e.ID, e.Receiver); err != nil {
			q.log.Error("notify: outbox", "receiver", q.name, "err", err)
		}
	}
}

// deliver tries e until it is sent, refused for good or stale; false when
// ctx ended first (the entry stays in the outbox for the next start).
func (q *queue) deliver(ctx context.Context, e outbox.Entry) bool {
	var m Message
	if err := json.Unmarshal(e.Body, &m); err != nil {
		q.log.Error("notify: outbox entry unreadable, dropped", "receiver", q.name, "id", e.ID, "err", err)
		return true
	}
	for attempt := 1; ; attempt++ {
		if !m.Expires.IsZero() && q.now().After(m.Expires) {
			q.m.failed.WithLabelValues(q.name, "stale").Inc()
			return true
		}
		if !q.limit.wait(ctx) {
			return false
		}
		err := q.send(ctx, &m)
		switch {
		case err == nil:
			q.m.sent.WithLabelValues(q.name).Inc()
			q.m.latency.WithLabelValues(q.name).Observe(q.now().Sub(m.Created).Seconds())
			return true
		case !Retryable(err):
			q.m.failed.WithLabelValues(q.name, "refused").Inc()
			q.log.Error("notify: message refused, dropped", "receiver", q.name, "id", m.ID, "err", err)
			return true
		}
		q.m.failed.WithLabelValues(q.name, "retry").Inc()
		d := q.backoff.wait(attempt)
		q.log.Warn("notify: send failed, will retry", "receiver", q.name, "id", m.ID, "attempt", attempt, "in", d, "err", err)
		if !sleep(ctx, d) {
			return false
		}
	}
}

// send makes one attempt under the receiver's timeout.
func (q *queue) send(ctx context.Context, m *Message) error {
	ctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	_, err := q.n.Send(ctx, m)
	return err
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// limiter is a token bucket: perMinute tokens a minute, burst at most.
type limiter struct {
	mu     sync.Mutex
	every  time.Duration
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

// newLimiter returns a limiter of perMinute messages a minute with a burst
// of a quarter of that (at least 1); perMinute 0 means no limit.
func newLimiter(perMinute int, now func() time.Time) *limiter {
	if perMinute <= 0 {
		return nil
	}
	b := max(1, float64(perMinute)/4)
	return &limiter{every: time.Minute / time.Duration(perMinute), burst: b, tokens: b, last: now(), now: now}
}

// wait takes a token, waiting for one; false when ctx ends.
func (l *limiter) wait(ctx context.Context) bool {
	if l == nil {
		return true
	}
	for {
		d := l.take()
		if d == 0 {
			return true
		}
		if !sleep(ctx, d) {
			return false
		}
	}
}

// take takes a token and returns 0, or returns how long until one is there.
func (l *limiter) take() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.tokens = min(l.burst, l.tokens+float64(now.Sub(l.last))/float64(l.every))
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return 0
	}
	return time.Duration((1 - l.tokens) * float64(l.every))
}
