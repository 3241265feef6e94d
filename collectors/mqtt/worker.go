package mqtt

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"facmon/collectors"
)

// Sink retry backoff: a failing sink (spool disk full) is retried with the
// messages unacknowledged, so nothing is lost while it recovers.
const (
	retryFirst = 50 * time.Millisecond
	retryMax   = 5 * time.Second
)

// work is the one worker: it batches queued messages, decodes them, hands
// the points to the sink and acks, and runs the offline checks, until ctx
// ends. Being the only goroutine that calls the sink keeps each device's
// points in arrival order.
func (c *Collector) work(ctx context.Context) {
	var tick <-chan time.Time
	if every := c.checkEvery(); every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	if st, ok := c.opt.Sink.(collectors.Stager); ok {
		c.stager = st
		c.acks = make(chan staged, ackQueue)
		wg.Go(func() { c.ack(ctx) })
	}
	batch := make([]inbound, 0, c.opt.MaxBatch)
	for {
		select {
		case <-ctx.Done():
			return
		case in := <-c.queue:
			batch = c.fill(ctx, append(batch[:0], in))
			if err := c.process(ctx, batch); err != nil {
				return
			}
			clear(batch) // drop message references for the GC
		case <-tick:
			if err := c.store(ctx, c.status.expire(c.opt.Now(), nil)); err != nil {
				return
			}
		}
	}
}

func (c *Collector) checkEvery() time.Duration {
	if c.opt.CheckEvery > 0 {
		return c.opt.CheckEvery
	}
	m := c.status.minTimeout()
	if m == 0 && c.opt.DefaultTimeout == 0 {
		return 0
	}
	if m == 0 || (c.opt.DefaultTimeout > 0 && c.opt.DefaultTimeout < m) {
		m = c.opt.DefaultTimeout
	}
	return max(m/4, 100*time.Millisecond)
}

// fill adds what is already queued, up to MaxBatch. After a large batch
// (yieldFrom), while messages keep arriving, it yields the processor a
// few times to let the reader queue more:
// at high rates that makes batches (and their fsyncs and ack writes)
// bigger, and it never waits once the stream pauses — so a broker with a
// small in-flight window (Mosquitto's default is 20) is not throttled by
// a timer. Linger > 0 additionally waits up to that long for more.
func (c *Collector) fill(ctx context.Context, batch []inbound) []inbound {
	for yields := 0; len(batch) < c.opt.MaxBatch; {
		select {
		case in := <-c.queue:
			batch = append(batch, in)
			continue
		default:
		}
		if yields == maxYields || (yields > 0 && len(batch) == c.lastFill) || c.lastBatch < yieldFrom {
			break
		}
		c.lastFill = len(batch)
		yields++
		runtime.Gosched()
	}
	if c.opt.Linger > 0 && len(batch) < c.opt.MaxBatch {
		batch = c.linger(ctx, batch)
	}
	if c.opt.Behind != nil && c.behind(len(batch)) && !c.behind(c.lastBatch) {
		c.opt.Behind() // on falling behind, not for every batch of a backlog
	}
	c.lastBatch = len(batch)
	return batch
}

// behind reports whether a batch of n messages means the worker has
// fallen behind: at least half MaxBatch was waiting.
func (c *Collector) behind(n int) bool { return 2*n >= c.opt.MaxBatch }

// maxYields bounds fill's yields per batch.
const maxYields = 4

// yieldFrom: fill yields only after a batch this large. Each yield
// (runtime.Gosched) also wakes an idle thread to look for work; at a
// steady rate, where a batch is the few messages of one read and the
// reader has nothing more, that wake-up was all a yield did.
const yieldFrom = 32

// linger waits up to Linger for more messages.
func (c *Collector) linger(ctx context.Context, batch []inbound) []inbound {
	t := time.NewTimer(c.opt.Linger)
	defer t.Stop()
	for len(batch) < c.opt.MaxBatch {
		select {
		case in := <-c.queue:
			batch = append(batch, in)
		case <-t.C:
			return batch
		case <-ctx.Done():
			return batch
		}
	}
	return batch
}

// process decodes a batch, stores its points and then acks every message
// in order. A message that yields no point (malformed, unknown device) is
// acked too: redelivering it would not make it better.
func (c *Collector) process(ctx context.Context, batch []inbound) error {
	points := make([]collectors.Point, 0, len(batch)*c.perMessage)
	for _, in := range batch {
		points = c.decodeOne(in, points)
	}
	c.perMessage = max(1, (len(points)+len(batch)-1)/len(batch)) // the next batch's guess: no regrowth
	if c.stager != nil {
		return c.stage(ctx, batch, points)
	}
	if err := c.store(ctx, points); err != nil {
		return err
	}
	c.ackAll(batch)
	return nil
}

func (c *Collector) ackAll(batch []inbound) {
	for _, in := range batch {
		in.msg.Ack()
	}
	c.metrics.acked.Add(float64(len(batch)))
}

// ackQueue bounds the staged batches waiting for their fsync; the broker's
// in-flight limit bounds them first.
const ackQueue = 4096

// staged is a batch written to a Stager, waiting to be accepted.
type staged struct {
	p      collectors.Pending
	msgs   []inbound
	points []collectors.Point
}

// stage hands the points on without waiting for their fsync (the alarm
// engine gets them at once) and queues the messages for ack, which acks
// them once their group commit is done. Meanwhile the worker takes the
// next messages, whose appends join the same group: at a steady rate the
// spool's adaptive group commit gathers many messages per fsync.
func (c *Collector) stage(ctx context.Context, batch []inbound, points []collectors.Point) error {
	p := collectors.Accepted
	if len(points) > 0 {
		var err error
		if p, err = c.stager.Stage(ctx, points); err != nil {
			c.metrics.sinkErrors.Inc()
			if err := c.store(ctx, points); err != nil { // retries until accepted
				return err
			}
			p = collectors.Accepted
		}
	}
	if c.window.staged(len(batch)) {
		if h, ok := p.(interface{ Hurry() }); ok {
			h.Hurry()
		}
	}
	select {
	case c.acks <- staged{p: p, msgs: slices.Clone(batch), points: points}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// inflight follows the messages staged and not yet acknowledged, to learn
// the broker's in-flight window (Mosquitto's stock max_inflight_messages
// is 20; MQTT 3.1.1 does not announce it). The broker sends no more once
// the window is full, so the count stops at the window again and again:
// when it reaches the highest count seen, for the third time or more
// without ever passing it, the window is full and the group commit should
// not wait for more messages that cannot come. Gathering in a steady
// stream stops at about the same count anyway (durable.MaxGather), so a
// plateau that is not the broker's costs little; a count that passes the
// plateau raises it.
type inflight struct {
	n    atomic.Int64 // staged, not yet acked; the ack goroutine decrements
	max  int64        // the worker's: the highest n seen
	hits int          // the worker's: how often n reached max since it rose
}

// plateauHits is how often the count must stop at its highest before
// that is taken for the broker's window.
const plateauHits = 3

// staged counts n messages staged and reports whether the window is now
// full.
func (w *inflight) staged(n int) bool {
	u := w.n.Add(int64(n))
	switch {
	case u > w.max:
		w.max, w.hits = u, 1
	case u == w.max:
		w.hits++
	}
	return u == w.max && w.hits >= plateauHits
}

// acked counts n messages acknowledged.
func (w *inflight) acked(n int) { w.n.Add(-int64(n)) }

// ack acknowledges staged batches in order as they are accepted. A batch
// whose fsync failed is stored again (store retries) before its messages
// are acked; if ctx ends first they stay unacked, and the broker sends
// them again.
func (c *Collector) ack(ctx context.Context) {
	for {
		var s staged
		select {
		case <-ctx.Done():
			return
		case s = <-c.acks:
		}
		select {
		case <-ctx.Done():
			return
		case <-s.p.Done():
		}
		if err := s.p.Err(); err != nil {
			c.metrics.sinkErrors.Inc()
			c.lim.warn("sink", "mqtt: a staged batch was not made durable; storing it again, messages stay unacknowledged", err)
			if c.store(ctx, s.points) != nil {
				return
			}
		} else if len(s.points) > 0 {
			c.metrics.points.Add(float64(len(s.points)))
		}
		c.ackAll(s.msgs)
		c.window.acked(len(s.msgs))
	}
}

// decodeOne decodes a message, accounts for its errors and appends its
// points and, when the device's status changed, a status point.
func (c *Collector) decodeOne(in inbound, points []collectors.Point) (out []collectors.Point) {
	defer func() {
		if r := recover(); r != nil {
			out = points // nothing from this message
			c.decodePanic(in, r)
		}
	}()
	d := c.m.decode(in.msg.Topic(), in.msg.Payload(), in.at, points)
	errMsg := ""
	for _, err := range d.errs {
		errMsg = c.account(err)
	}
	if in.msg.Retained() {
		markStale(d.points[len(points):], in.at)
		return d.points // old news: says nothing about the device now
	}
	if di := c.m.devices[d.device]; di != nil {
		if p, ok := c.status.seen(di, in.at, errMsg, c.opt.DefaultTimeout); ok {
			d.points = append(d.points, p)
		}
	}
	return d.points
}

// markStale flags the points of a retained message (the broker's copy of
// an earlier publish, sent on subscribe) that carry no device timestamp:
// the value may be hours old, so it is Uncertain, stamped at receipt.
func markStale(points []collectors.Point, recv time.Time) {
	for i := range points {
		if points[i].Time.Equal(recv) {
			points[i].Quality = collectors.Uncertain
		}
	}
}

// decodePanic records a decoder panic: wire data is untrusted, and one
// bad message must not stop the collector. The message is acked with the
// batch (a redelivery would panic again); its bytes are logged in hex.
func (c *Collector) decodePanic(in inbound, r any) {
	c.metrics.payloadErrors.WithLabelValues("panic").Inc()
	body := in.msg.Payload()
	c.log.Error("mqtt payload decoder panicked; message skipped", "topic", in.msg.Topic(),
		"panic", fmt.Sprint(r), "payload_hex", hex.EncodeToString(body[:min(len(body), 256)]), "stack", string(debug.Stack()))
}

// account counts and logs (rate-limited) one decoding error; it returns
// the text to keep as the device's last error, or "" for unknown names.
func (c *Collector) account(err error) string {
	if what, ok := isUnknown(err); ok {
		c.metrics.unknown.WithLabelValues(what).Inc()
		c.lim.warn("unknown "+what, "mqtt message for something the site does not have (not stored)", err)
		return ""
	}
	var pe *PayloadError
	reason := "syntax"
	if errors.As(err, &pe) {
		reason = string(pe.Reason())
	}
	c.metrics.payloadErrors.WithLabelValues(reason).Inc()
	c.lim.warn("payload "+reason, "mqtt payload refused (not stored)", err)
	return err.Error()
}

// store hands points to the sink, retrying until it accepts them or ctx
// ends (then the messages stay unacked for the broker to redeliver).
func (c *Collector) store(ctx context.Context, points []collectors.Point) error {
	if len(points) == 0 {
		return nil
	}
	wait := retryFirst
	for {
		err := c.opt.Sink.Publish(ctx, points)
		if err == nil {
			c.metrics.points.Add(float64(len(points)))
			return nil
		}
		c.metrics.sinkErrors.Inc()
		c.lim.warn("sink", "mqtt: sink refused a batch; retrying, messages stay unacknowledged", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, retryMax)
	}
}
