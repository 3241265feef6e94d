// Package spool is facmon's durable, segmented, append-only log on disk:
// the InfluxDB writer appends every accepted point to it before the point
// counts as accepted, and a single sender reads it back in order, writes it
// to InfluxDB and commits a cursor. Records are framed with a length and a
// CRC-32C so that a torn tail after kill -9 is detected and cut off on Open;
// appends that arrive close together share one fsync (adaptive group
// commit, internal/durable); a size
// cap drops the oldest segment, counted, when InfluxDB stays away too long.
//
// docs/storage.md describes the on-disk format and the guarantees.
package spool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/internal/durable"
)

// Defaults of Options.
const (
	DefaultMaxBytes     = 1 << 30
	DefaultSegmentBytes = 16 << 20
	// DefaultSyncWindow 0 is the adaptive group commit (durable.Syncer):
	// appends are gathered while more keep arriving, for at most
	// durable.MaxGather, and a sparse append is fsync'd at once. A
	// positive window waits that long instead; a negative one fsyncs at
	// once. docs/storage.md has the measurements behind it.
	DefaultSyncWindow = 0
)

// ErrClosed is returned by Append and Commit after Close.
var ErrClosed = errors.New("spool closed")

// Options configure a Spool.
type Options struct {
	// Dir holds the segments and the cursor; created if missing.
	Dir string
	// MaxBytes caps the spool; beyond it the oldest segment is deleted even
	// if unsent, and its records are counted as dropped.
	MaxBytes int64
	// SegmentBytes is the size at which a new segment is started. It is
	// clamped to MaxBytes/4 so that the cap drops at most a quarter.
	SegmentBytes int64
	// SyncWindow is the group-commit window (see DefaultSyncWindow).
	SyncWindow time.Duration
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Cursor is a position in the spool: a segment and a byte offset in it.
type Cursor struct {
	Segment uint64
	Offset  int64
}

type segment struct {
	id   uint64
	size int64
}

// Spool is the durable log. Append is safe for concurrent use; there is one
// reader (the sender), made by NewReader.
type Spool struct {
	dir      string
	maxBytes int64
	segBytes int64
	log      *slog.Logger
	m        *metrics

	mu       sync.Mutex
	segs     []segment // oldest first; the last is the active one
	active   *os.File
	total    int64
	pending  durable.Batch // the appends waiting for the next fsync
	wbuf     []byte        // their frames not yet written to the active segment
	werr     error         // a failed write of wbuf, for the pending group
	unsynced []*os.File    // rolled segments the syncer must fsync and close
	broken   bool          // an fsync failed: roll before the next write
	cursor   Cursor        // committed
	closed   bool
	onDrop   func([]byte)

	commitMu sync.Mutex
	dropped  atomic.Int64
	syncer   *durable.Syncer // group commit: when to fsync
	readable chan struct{}
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// Open opens (or creates) the spool in o.Dir, cuts a torn tail off the
// newest segment, loads the cursor and starts the group-commit syncer.
func Open(o Options) (*Spool, error) {
	s, err := newSpool(o)
	if err != nil {
		return nil, err
	}
	if err := s.recover(); err != nil {
		return nil, fmt.Errorf("spool %s: %w", s.dir, err)
	}
	s.m.update(s.total, len(s.segs))
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.wg.Go(func() { s.syncer.Run(ctx) })
	return s, nil
}

func newSpool(o Options) (*Spool, error) {
	if o.Dir == "" {
		return nil, errors.New("spool: no directory")
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	o.SegmentBytes = max(min(o.SegmentBytes, o.MaxBytes/4), 4096)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	s := &Spool{
		dir: o.Dir, maxBytes: o.MaxBytes, segBytes: o.SegmentBytes,
		log: o.Logger, m: newMetrics(o.Registerer),
		readable: make(chan struct{}, 1),
	}
	s.syncer = durable.NewSyncer(o.SyncWindow, func() { _ = s.syncOnce() })
	return s, nil
}

// Dropped is the number of records the size cap has deleted unsent since
// Open; the alarm engine watches it.
func (s *Spool) Dropped() int64 { return s.dropped.Load() }

// OnDrop sets a function that sees each record the cap deletes unsent
// (the writer counts the points in it). Set it before the first Append.
func (s *Spool) OnDrop(f func(rec []byte)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDrop = f
}

// Readable signals (without blocking the writer) that records were
// appended, once per group commit, after its fsync; the sender waits on
// it when it has read everything.
func (s *Spool) Readable() <-chan struct{} { return s.readable }

// Committed returns the committed cursor.
func (s *Spool) Committed() Cursor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

// Bytes is the spool's size on disk (all segments, sent or not).
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Err is nil while the spool accepts appends: ErrClosed after Close, or
// the error of a failed fsync until the next append succeeds on a new
// segment.
func (s *Spool) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.broken:
		return errors.New("spool: last write or fsync failed")
	}
	return nil
}

// Close stops the syncer, fsyncs what was appended and closes the files.
// Appends still waiting get their result.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.wg.Wait()
	err := s.syncOnce()
	s.mu.Lock()
	defer s.mu.Unlock()
	if cerr := s.active.Close(); err == nil {
		err = cerr
	}
	return err
}
