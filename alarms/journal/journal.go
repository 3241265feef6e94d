// Package journal is facmon's durable alarm journal: an append-only,
// fsync'd log of every alarm transition and every operator action
// (including refused ones and linkage writes), so that every event is
// registered and can be followed up and called back (篇4·07PART·76).
//
// Records are framed (length + CRC-32C) in segment files so that a torn
// tail after kill -9 is cut off on Open and never misread; Append returns
// only after fsync, concurrent appends sharing one fsync (group commit).
// Each record carries the SHA-256 of the one before, so an edited,
// inserted or deleted record breaks the chain, which Verify and
// `facmon journal verify` detect. Caps by record count (at least 10,000 by
// default) and size drop the oldest whole segments, the chain staying
// verifiable through an anchor file (篇3·二十二·7, 十九·5). Snapshots of the
// owner's state, taken automatically, let Restore bring back active alarms,
// acknowledgements, shelves and zone states after a restart.
//
// docs/journal.md describes the format and the guarantees.
package journal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/internal/durable"
)

// Defaults of Options.
const (
	// DefaultMaxRecords is the count cap: at least this many records are
	// kept (篇3·二十二·7 asks for automatic overwrite of the oldest).
	DefaultMaxRecords = 10_000
	// DefaultSegmentRecords is how many records a segment holds before the
	// next one is started; the cap drops whole segments.
	DefaultSegmentRecords = 1_000
	// DefaultMaxBytes is the size cap.
	DefaultMaxBytes = 256 << 20
	// DefaultSyncWindow 0 is the adaptive group commit (durable.Syncer):
	// a lone transition or operator action is fsync'd at once, a burst
	// shares fsyncs for at most durable.MaxGather. See docs/journal.md.
	DefaultSyncWindow = 0
	// DefaultVerifyInterval is how often the open journal re-verifies its
	// files (and sets facmon_journal_chain_ok).
	DefaultVerifyInterval = 10 * time.Minute
)

// ErrClosed is returned by Append and Snapshot after Close.
var ErrClosed = errors.New("journal closed")

// Options configure a Journal.
type Options struct {
	// Dir holds the segments, the anchor and snapshots/ (DATA_DIR/journal);
	// created if missing.
	Dir string
	// MaxRecords is the count cap (DefaultMaxRecords if 0): the oldest
	// segment is dropped only while the rest still hold MaxRecords.
	MaxRecords int
	// SegmentRecords starts a new segment every so many records
	// (DefaultSegmentRecords, at most MaxRecords/2).
	SegmentRecords int
	// MaxBytes is the size cap (DefaultMaxBytes if 0); it wins over
	// MaxRecords, with a warning.
	MaxBytes int64
	// SegmentBytes starts a new segment at this size (MaxBytes/8 if 0).
	SegmentBytes int64
	// SyncWindow is the group-commit window (DefaultSyncWindow).
	SyncWindow time.Duration
	// Backups configures automatic snapshots; none if Interval is 0.
	Backups Backups
	// VerifyInterval is how often the journal re-verifies itself
	// (DefaultVerifyInterval if 0, never if negative).
	VerifyInterval time.Duration
	// Now is the clock for record times and snapshot times (time.Now).
	Now        func() time.Time
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Backups configures the automatic snapshots.
type Backups struct {
	// Interval between snapshots; 0 turns them off. The first is taken
	// one Interval after Restore was called: before, the owner's state is
	// not back yet, and a snapshot of it would hide the journaled records.
	Interval time.Duration
	// Keep is how many snapshots to keep (3 if 0); older ones are deleted.
	Keep int
	// State asks the owner for its current state and the journal seq that
	// state covers (the last seq Append returned to the owner and that the
	// owner applied).
	State func(ctx context.Context) (state []byte, seq uint64, err error)
}

// segment is one segment file of an open journal.
type segment struct {
	first   uint64
	head    link
	f       *os.File
	size    int64
	entries []entry
}

// Journal is an open journal. Its methods are safe for concurrent use.
type Journal struct {
	dir string
	o   Options
	log *slog.Logger
	m   *metrics

	mu      sync.RWMutex
	segs    []*segment // oldest first; the last is written
	next    link       // seq and prev of the next record
	durable uint64     // highest seq fsync'd
	anchor  link
	records int
	bytes   int64
	pending durable.Batch // the appends waiting for the next fsync
	closing []*os.File    // dropped segments, closed by the syncer
	capsDue bool          // a segment was started: the syncer applies the caps
	err     error         // a failed write or fsync: no more appends
	closed  bool
	buf     []byte

	snapMu   sync.Mutex
	capMu    sync.Mutex
	restored chan struct{} // closed by the first Restore
	restore  sync.Once
	syncer   *durable.Syncer // group commit: when to fsync
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// Open opens (or creates) the journal in o.Dir: it verifies the chain
// (setting facmon_journal_chain_ok), finishes an interrupted drop, cuts a
// torn tail off the newest segment and starts the group-commit syncer and
// the backup loop. A broken chain is logged and reported by the gauge,
// not refused: the journal keeps recording, and the evidence stays.
func Open(o Options) (*Journal, error) {
	j, err := newJournal(o)
	if err != nil {
		return nil, err
	}
	s, err := scanDir(j.dir)
	if err != nil {
		return nil, err
	}
	if s.brk == nil {
		s.brk = checkSnapshots(filepath.Join(j.dir, snapDir), s.next.seq-1)
	}
	if err := j.recover(s); err != nil {
		for _, sg := range j.segs {
			sg.f.Close()
		}
		return nil, fmt.Errorf("journal %s: %w", j.dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	j.stop = cancel
	j.wg.Go(func() { j.syncer.Run(ctx) })
	if j.o.Backups.Interval > 0 && j.o.Backups.State != nil {
		j.wg.Go(func() { j.backupLoop(ctx) })
	}
	if j.o.VerifyInterval > 0 {
		j.wg.Go(func() { j.verifyLoop(ctx) })
	}
	return j, nil
}

func newJournal(o Options) (*Journal, error) {
	if o.Dir == "" {
		return nil, errors.New("journal: no directory")
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, snapDir), 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	o = withDefaults(o)
	j := &Journal{
		dir: o.Dir, o: o, log: o.Logger, m: newMetrics(o.Registerer),
		restored: make(chan struct{}),
	}
	j.syncer = durable.NewSyncer(o.SyncWindow, func() { _ = j.syncOnce() })
	return j, nil
}

func withDefaults(o Options) Options {
	if o.MaxRecords <= 0 {
		o.MaxRecords = DefaultMaxRecords
	}
	if o.SegmentRecords <= 0 {
		o.SegmentRecords = DefaultSegmentRecords
	}
	o.SegmentRecords = max(min(o.SegmentRecords, o.MaxRecords/2), 1)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = o.MaxBytes / 8
	}
	o.SegmentBytes = max(o.SegmentBytes, 4096)
	if o.Backups.Keep <= 0 {
		o.Backups.Keep = 3
	}
	if o.VerifyInterval == 0 {
		o.VerifyInterval = DefaultVerifyInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	return o
}

// Dir is the journal's directory.
func (j *Journal) Dir() string { return j.dir }

// Len is the number of records held.
func (j *Journal) Len() int {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.records
}

// First is the seq of the oldest record held (the next seq if none).
func (j *Journal) First() uint64 {
	j.mu.RLock()
	defer j.mu.RUnlock()
	for _, s := range j.segs {
		if len(s.entries) > 0 {
			return s.entries[0].seq
		}
	}
	return j.next.seq
}

// Last is the seq of the newest durable record (0 if none).
func (j *Journal) Last() uint64 {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.durable
}

// Err is nil while the journal accepts appends: ErrClosed after Close, or
// the write or fsync error that stopped it (a restart recovers).
func (j *Journal) Err() error {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return ErrClosed
	}
	return j.err
}

// Close stops the loops, fsyncs what was appended (appends still waiting
// get their result) and closes the files.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	j.stop()
	j.wg.Wait()
	err := j.syncOnce()
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, f := range j.closing {
		f.Close()
	}
	for _, s := range j.segs {
		err = errors.Join(err, s.f.Close())
	}
	return err
}

func (j *Journal) active() *segment { return j.segs[len(j.segs)-1] }

func (j *Journal) updateMetrics() {
	j.m.records.Set(float64(j.records))
	j.m.bytes.Set(float64(j.bytes))
}
