// Package influx is facmon's InfluxDB writer. Publish encodes points as
// line protocol and appends them to the durable spool; a point is
// accepted once it is fsync'd there. Run is the single sender: it reads
// the spool in order, batches by size and time, writes each batch with
// influxdb-client-go's blocking write API under its own retry, and commits
// the spool cursor only after InfluxDB accepted the batch. It works with
// InfluxDB 2.x (org, bucket, token) and 1.8 (bucket "db/rp", token
// "user:pass" or empty). docs/storage.md states the guarantees.
package influx

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	"github.com/prometheus/client_golang/prometheus"

	"facmon/collectors"
	"facmon/collectors/spool"
	"facmon/internal/durable"
)

// Defaults of Options.
const (
	DefaultBatchSize     = 5000
	DefaultFlushInterval = time.Second
	DefaultTimeout       = 10 * time.Second
	DefaultMinBackoff    = 100 * time.Millisecond
	DefaultMaxBackoff    = 10 * time.Second
)

// A spool record holds at most this many lines, so that a batch is cut
// close to BatchSize.
const (
	maxLinesPerRecord = 500
	maxRecordBytes    = 1 << 20
)

// Options configure a Writer.
type Options struct {
	// URL of InfluxDB; empty keeps points in the spool (demo without
	// InfluxDB) while still accepting them.
	URL    string
	Org    string // 2.x organisation; empty for 1.8
	Bucket string // 2.x bucket, or "db/rp" for 1.8
	Token  string // 2.x token, or "user:pass" / empty for 1.8
	// BatchSize is the number of points per write (default 5000).
	BatchSize int
	// FlushInterval bounds how long a point waits for a full batch.
	FlushInterval time.Duration
	// Timeout bounds one HTTP write.
	Timeout time.Duration
	// Gzip compresses request bodies.
	Gzip bool
	// MinBackoff and MaxBackoff bound the retry delay: exponential, each
	// delay drawn from [d/2, d] (defaults 100 ms and 10 s).
	MinBackoff, MaxBackoff time.Duration
	// Spool is where points wait; required.
	Spool      *spool.Spool
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Clock drives the flush and backoff timers; nil is the real clock.
	Clock Clock
	// Names are the site file's names by device id, written as the tags
	// "name" and "area_name" (nil: none).
	Names map[string]DeviceNames
}

// Writer is a collectors.Sink that stores points durably and sends them to
// InfluxDB.
type Writer struct {
	o      Options
	sp     *spool.Spool
	client influxdb2.Client
	api    api.WriteAPIBlocking
	log    *slog.Logger
	m      *metrics
	clock  Clock

	running  atomic.Bool
	draining atomic.Bool
	drainReq chan struct{} // Close → Run: flush everything now
	drained  chan struct{} // Run → Close: the spool is empty
}

var _ collectors.Sink = (*Writer)(nil)

// New builds a Writer on o.Spool; Run sends.
func New(o Options) (*Writer, error) {
	if o.Spool == nil {
		return nil, errors.New("influx writer: no spool")
	}
	o = withDefaults(o)
	w := &Writer{
		o: o, sp: o.Spool, log: o.Logger, clock: o.Clock,
		m:        newMetrics(o.Registerer),
		drainReq: make(chan struct{}, 1),
		drained:  make(chan struct{}, 1),
	}
	if o.URL != "" {
		opts := influxdb2.DefaultOptions().SetUseGZip(o.Gzip).
			SetHTTPRequestTimeout(uint(max(o.Timeout/time.Second, 1)))
		w.client = influxdb2.NewClientWithOptions(o.URL, o.Token, opts)
		w.api = w.client.WriteAPIBlocking(o.Org, o.Bucket)
	}
	w.sp.OnDrop(func(rec []byte) {
		n := recordPoints(rec)
		w.m.dropped.WithLabelValues(ReasonSpoolFull).Add(float64(n))
		w.m.spooled.Sub(float64(n))
	})
	w.m.spooled.Set(float64(w.backlog()))
	return w, nil
}

func withDefaults(o Options) Options {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	return o
}

// backlog counts the points waiting in the spool from an earlier run.
func (w *Writer) backlog() int {
	r := w.sp.NewReader()
	defer r.Close()
	n := 0
	for {
		recs, _ := r.Next(1024, 64<<20)
		if len(recs) == 0 {
			return n
		}
		for _, rec := range recs {
			n += recordPoints(rec)
		}
	}
}

// Publish encodes batch as line protocol and returns once it is durable
// in the spool. Points that cannot be written (see the Reason constants)
// are counted and left out; they do not fail the batch.
func (w *Writer) Publish(ctx context.Context, batch []collectors.Point) error {
	p, err := w.Stage(ctx, batch)
	if err != nil {
		return err
	}
	return w.wait(ctx, p)
}

// Stage encodes batch and writes it to the spool without waiting for the
// fsync: the batch is accepted when the returned Pending is Done with a
// nil Err (see collectors.Stager).
func (w *Writer) Stage(_ context.Context, batch []collectors.Point) (collectors.Pending, error) {
	e := encodePoints(batch, w.o.Names)
	for reason, n := range e.dropped {
		w.m.dropped.WithLabelValues(reason).Add(float64(n))
		w.log.Debug("points not written", "reason", reason, "count", n)
	}
	return w.stage(e.lines, e.counts)
}

// PublishLines stores line-protocol lines (one point each, no newline)
// through the same durable path; the alarm engine writes its "alarm"
// measurement so.
func (w *Writer) PublishLines(ctx context.Context, lines [][]byte) error {
	counts := make([]int, len(lines))
	for i, l := range lines {
		if len(l) == 0 || containsNewline(l) {
			return fmt.Errorf("influx PublishLines: line %d: empty or contains a newline", i)
		}
		counts[i] = 1
	}
	return w.append(ctx, lines, counts)
}

func containsNewline(b []byte) bool {
	for _, c := range b {
		if c == '\n' || c == '\r' {
			return true
		}
	}
	return false
}

func (w *Writer) append(ctx context.Context, lines [][]byte, counts []int) error {
	p, err := w.stage(lines, counts)
	if err != nil {
		return err
	}
	return w.wait(ctx, p)
}

func (w *Writer) wait(ctx context.Context, p collectors.Pending) error {
	if err := collectors.Wait(ctx, p); err != nil {
		return fmt.Errorf("influx writer: %w", err)
	}
	return nil
}

// stage writes lines to the spool; the points count as accepted (in the
// metrics) once their group commit succeeds.
func (w *Writer) stage(lines [][]byte, counts []int) (collectors.Pending, error) {
	recs, points := records(lines, counts)
	if len(recs) == 0 {
		return collectors.Accepted, nil
	}
	g, err := w.sp.Stage(recs)
	if err != nil {
		return nil, fmt.Errorf("influx writer: %w", err)
	}
	return &staged{Group: g, w: w, points: points}, nil
}

// staged counts its points as accepted when its group commit succeeds
// (the first Err after Done; a Pending is read by one caller).
type staged struct {
	*durable.Group
	w       *Writer
	points  int
	counted atomic.Bool
}

// Hurry tells the spool that the caller now waits for the fsync.
func (s *staged) Hurry() { s.w.sp.Hurry() }

func (s *staged) Err() error {
	err := s.Group.Err()
	if err == nil && s.counted.CompareAndSwap(false, true) {
		s.w.m.accepted.Add(float64(s.points))
		s.w.m.spooled.Add(float64(s.points))
	}
	return err
}

// records packs lines into spool records of at most maxLinesPerRecord
// lines: uvarint(points) then the lines joined by '\n'.
func records(lines [][]byte, counts []int) ([][]byte, int) {
	var recs [][]byte
	total := 0
	for start := 0; start < len(lines); {
		end, size, pts := start, 0, 0
		for end < len(lines) && end-start < maxLinesPerRecord && (size == 0 || size+len(lines[end]) < maxRecordBytes) {
			size += len(lines[end]) + 1
			pts += counts[end]
			end++
		}
		rec := binary.AppendUvarint(make([]byte, 0, size+binary.MaxVarintLen64), uint64(pts))
		for i := start; i < end; i++ {
			if i > start {
				rec = append(rec, '\n')
			}
			rec = append(rec, lines[i]...)
		}
		recs = append(recs, rec)
		total += pts
		start = end
	}
	return recs, total
}

// recordPoints and recordLines split a spool record.
func recordPoints(rec []byte) int {
	n, k := binary.Uvarint(rec)
	if k <= 0 {
		return 0
	}
	return int(n)
}

func recordLines(rec []byte) []byte {
	_, k := binary.Uvarint(rec)
	if k <= 0 {
		return nil
	}
	return rec[k:]
}

// Ready reports whether the writer can store points (for /readyz): nil
// while the spool accepts them, even with InfluxDB down, since the spool
// absorbs the outage; the spool's error after Close or a failed fsync.
func (w *Writer) Ready() error { return w.sp.Err() }
