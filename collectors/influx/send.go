package influx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	http2 "github.com/influxdata/influxdb-client-go/v2/api/http"

	"facmon/collectors/spool"
)

// Kinds of write errors, the label of facmon_write_errors_total.
const (
	kindNetwork   = "network"   // no HTTP answer: retry
	kindServer    = "server"    // 5xx: retry
	kindThrottled = "throttled" // 429: retry, honouring Retry-After
	kindConfig    = "config"    // 401, 403, 404: retry; an operator must fix the token or bucket
	kindRejected  = "rejected"  // any other 4xx: the data is bad; drop the batch
)

// batch is what one write sends: the spool records and the cursor after
// them.
type batch struct {
	body   bytes.Buffer
	points int
	end    spool.Cursor
}

// Run is the sender: it reads the spool in order, writes batches to
// InfluxDB and commits the cursor after each accepted batch. One sender
// keeps the order per series. It returns when ctx ends. With no URL it
// only waits: points stay in the spool.
func (w *Writer) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("influx writer: Run called twice")
	}
	defer w.running.Store(false)
	if w.api == nil {
		w.log.Info("no InfluxDB URL: points stay in the spool")
		<-ctx.Done()
		return ctx.Err()
	}
	defer w.client.Close()
	r := w.sp.NewReader()
	defer r.Close()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5eed))
	for {
		b, err := w.collect(ctx, r)
		if err != nil {
			return err
		}
		if err := w.send(ctx, b, rng); err != nil {
			return err
		}
		if err := w.sp.Commit(b.end); err != nil {
			// The batch is in InfluxDB; a crash now re-sends it (an
			// overwrite, see docs/storage.md).
			w.log.Error("commit spool cursor", "err", err)
		}
	}
}

// collect reads records until BatchSize points, or FlushInterval after the
// first one, or at once while Close drains.
func (w *Writer) collect(ctx context.Context, r *spool.Reader) (*batch, error) {
	b := &batch{}
	var deadline <-chan time.Time
	for {
		for b.points < w.o.BatchSize {
			recs, err := r.Next(1, 64<<20)
			if err != nil {
				return nil, fmt.Errorf("influx writer: read spool: %w", err)
			}
			if len(recs) == 0 {
				break
			}
			b.add(recs[0])
			b.end = r.Pos()
		}
		if b.points >= w.o.BatchSize || (b.points > 0 && w.draining.Load()) {
			return b, nil
		}
		if b.points == 0 && w.draining.Load() {
			notifyChan(w.drained)
		}
		if b.points > 0 && deadline == nil {
			deadline = w.clock.After(w.o.FlushInterval)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-w.sp.Readable():
		case <-w.drainReq:
		case <-deadline:
			return b, nil
		}
	}
}

func (b *batch) add(rec []byte) {
	if b.body.Len() > 0 {
		b.body.WriteByte('\n')
	}
	b.body.Write(recordLines(rec))
	b.points += recordPoints(rec)
}

// send writes b until InfluxDB accepts it, rejects it for good (dropped,
// counted) or ctx ends.
func (w *Writer) send(ctx context.Context, b *batch, rng *rand.Rand) error {
	body := b.body.String()
	for attempt := 0; ; attempt++ {
		err := w.write(ctx, body)
		if err == nil {
			w.m.up.Set(1)
			w.m.written.Add(float64(b.points))
			w.m.spooled.Sub(float64(b.points))
			if attempt > 0 {
				w.log.Info("InfluxDB write succeeded after retries", "attempts", attempt+1, "points", b.points)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		kind, retryAfter := classify(err)
		w.m.errors.WithLabelValues(kind).Inc()
		if kind == kindRejected {
			w.log.Error("InfluxDB rejected a batch; dropped (retrying cannot help)",
				"url", w.o.URL, "bucket", w.o.Bucket, "points", b.points, "segment", b.end.Segment, "err", err)
			w.m.dropped.WithLabelValues(ReasonRejected).Add(float64(b.points))
			w.m.spooled.Sub(float64(b.points))
			return nil
		}
		w.m.up.Set(0)
		delay := backoff(attempt, w.o.MinBackoff, w.o.MaxBackoff, retryAfter, rng)
		w.logRetry(attempt, kind, delay, err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.clock.After(delay):
		}
	}
}

func (w *Writer) write(ctx context.Context, body string) error {
	ctx, cancel := context.WithTimeout(ctx, w.o.Timeout)
	defer cancel()
	start := w.clock.Now()
	err := w.api.WriteRecord(ctx, body)
	w.m.duration.Observe(w.clock.Now().Sub(start).Seconds())
	return err
}

// logRetry logs the first failures of an outage and then every tenth, so
// that a long outage does not flood the log.
func (w *Writer) logRetry(attempt int, kind string, delay time.Duration, err error) {
	if attempt < 3 || attempt%10 == 0 {
		w.log.Warn("InfluxDB write failed; points stay in the spool, retrying",
			"url", w.o.URL, "bucket", w.o.Bucket, "kind", kind, "attempt", attempt+1, "retry_in", delay, "err", err)
	}
}

// classify sorts a write error into a kind and the server's Retry-After.
func classify(err error) (kind string, retryAfter time.Duration) {
	var he *http2.Error
	if !errors.As(err, &he) || he.StatusCode == 0 {
		return kindNetwork, 0
	}
	retryAfter = time.Duration(he.RetryAfter) * time.Second
	switch code := he.StatusCode; {
	case code == http.StatusTooManyRequests:
		return kindThrottled, retryAfter
	case code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusNotFound:
		return kindConfig, retryAfter
	case code >= 400 && code < 500:
		return kindRejected, 0
	}
	return kindServer, retryAfter
}

func notifyChan(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Close flushes what the sender can within ctx: everything in the spool
// is sent at once, without waiting for full batches. What is not sent
// when ctx ends stays in the spool for the next start. Close does not
// stop Run; cancel Run's context afterwards. Without a running Run it
// waits for ctx and reports what is left.
func (w *Writer) Close(ctx context.Context) error {
	if w.api == nil {
		return nil // no InfluxDB: everything stays in the spool by design
	}
	w.draining.Store(true)
	defer w.draining.Store(false)
	select { // drop a stale "drained" from an earlier Close
	case <-w.drained:
	default:
	}
	notifyChan(w.drainReq)
	select {
	case <-w.drained:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("influx writer: flush: %w; unsent points stay in the spool", ctx.Err())
	}
}
