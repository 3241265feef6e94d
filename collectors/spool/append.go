package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"facmon/internal/durable"
)

// Append writes records to the spool and returns once they are fsync'd.
// Concurrent appenders share fsyncs (group commit). A record is at most
// MaxRecordBytes and never empty. On error the records may or may not be
// in the spool; they count as not accepted.
func (s *Spool) Append(ctx context.Context, records [][]byte) error {
	if len(records) == 0 {
		return nil
	}
	g, err := s.stage(records, true)
	if err != nil {
		return err
	}
	select {
	case <-g.Done():
		return g.Err()
	case <-ctx.Done():
		return fmt.Errorf("spool append: %w", ctx.Err())
	}
}

// Stage writes records to the spool and returns at once, with the group
// commit whose fsync makes them durable: they count as accepted only once
// the group is Done with a nil Err. A caller that pipelines (the MQTT
// collector) keeps receiving meanwhile, and its next appends join the
// group. records must not be empty.
func (s *Spool) Stage(records [][]byte) (*durable.Group, error) { return s.stage(records, false) }

// Hurry says that the writer of a staged append now waits for its fsync:
// the syncer stops gathering the pending group.
func (s *Spool) Hurry() { s.syncer.Hurry() }

// SettleWith makes the syncer wait for settled before it fsyncs sparse
// staged appends (durable.Syncer.SetSettle): facmon passes the fan-out's
// Settled, so that a point is fsync'd after the alarm engine evaluated it
// and journaled what it raised.
func (s *Spool) SettleWith(settled func() <-chan struct{}) { s.syncer.SetSettle(settled) }

// stage writes records and kicks the syncer, telling it whether the
// writer waits for the fsync.
func (s *Spool) stage(records [][]byte, waits bool) (*durable.Group, error) {
	buf, err := frames(records)
	if err != nil {
		return nil, err
	}
	g, err := s.write(buf)
	if err != nil {
		return nil, err
	}
	if waits {
		s.syncer.Kick()
	} else {
		s.syncer.KickStaged()
	}
	return g, nil
}

func frames(records [][]byte) ([]byte, error) {
	n := 0
	for i, r := range records {
		if len(r) == 0 || len(r) > MaxRecordBytes {
			return nil, fmt.Errorf("spool append: record %d: size %d not in 1..%d", i, len(r), MaxRecordBytes)
		}
		n += frameHeader + len(r)
	}
	buf := make([]byte, 0, n)
	for _, r := range records {
		buf = appendFrame(buf, r)
	}
	return buf, nil
}

// write appends the framed buf to the active segment's buffer and returns
// the sync group that will make it durable. The syncer writes the buffer
// to the file just before its fsync: one write for a whole group instead
// of one per append, which at a steady rate was a tenth of facmon's CPU
// (docs/storage.md).
func (s *Spool) write(buf []byte) (*durable.Group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	last := &s.segs[len(s.segs)-1]
	if size := last.size + int64(len(s.wbuf)); s.broken || (size > headerSize && size+int64(len(buf)) > s.segBytes) {
		if err := s.rollLocked(); err != nil {
			return nil, fmt.Errorf("spool %s: new segment: %w", s.dir, err)
		}
	}
	s.wbuf = append(s.wbuf, buf...)
	s.total += int64(len(buf))
	s.enforceCapLocked()
	s.m.update(s.total, len(s.segs))
	return s.pending.Join(), nil
}

// flushLocked writes the buffered appends to the active segment. A failed
// or short write breaks the segment (a torn frame: never write after it)
// and is kept for the pending group's result.
func (s *Spool) flushLocked() error {
	if len(s.wbuf) == 0 {
		return nil
	}
	last := &s.segs[len(s.segs)-1]
	n, err := s.active.Write(s.wbuf)
	last.size += int64(n)
	s.total -= int64(len(s.wbuf) - n)
	s.wbuf = s.wbuf[:0]
	if err != nil {
		s.broken = true
		err = fmt.Errorf("spool %s: write %s: %w", s.dir, segName(last.id), err)
		s.werr = errors.Join(s.werr, err)
	}
	return err
}

// rollLocked starts a new active segment; the syncer fsyncs and closes
// the old one with the next group. The buffer goes to the old segment
// first, unless that one is broken (a failed write or fsync): then it
// goes to the new one.
func (s *Spool) rollLocked() error {
	if !s.broken {
		if err := s.flushLocked(); err != nil {
			return err
		}
	}
	id := s.segs[len(s.segs)-1].id + 1
	f, err := createSegment(s.segPath(id))
	if err != nil {
		return err
	}
	s.unsynced = append(s.unsynced, s.active)
	s.active = f
	s.segs = append(s.segs, segment{id: id, size: headerSize})
	s.total += headerSize
	s.broken = false
	return nil
}

// createSegment creates a segment with its header, fsync'd with its
// directory entry.
func createSegment(path string) (*os.File, error) { return durable.CreateSegment(path, segHeader()) }

// enforceCapLocked deletes the oldest segments, sent or not, while the
// spool is over MaxBytes; the active segment is never deleted.
func (s *Spool) enforceCapLocked() {
	for s.total > s.maxBytes && len(s.segs) > 1 {
		seg := s.segs[0]
		from := int64(headerSize)
		if s.cursor.Segment == seg.id {
			from = s.cursor.Offset
		}
		n, err := countFrames(s.segPath(seg.id), from, s.onDrop)
		if err != nil {
			s.log.Error("spool cap: cannot count the dropped segment", "segment", segName(seg.id), "err", err)
		}
		if err := os.Remove(s.segPath(seg.id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Error("spool cap: remove segment", "segment", segName(seg.id), "err", err)
		}
		s.segs = s.segs[1:]
		s.total -= seg.size
		s.dropped.Add(int64(n))
		s.m.dropped.Add(float64(n))
		s.log.Warn("spool full: dropped the oldest segment unsent",
			"segment", segName(seg.id), "records", n, "max_bytes", s.maxBytes)
	}
}

// syncOnce fsyncs the rolled and the active segments for the pending group
// and releases its appenders.
func (s *Spool) syncOnce() error {
	s.mu.Lock()
	g := s.pending.Take()
	_ = s.flushLocked()
	werr := s.werr
	s.werr = nil
	rolled := s.unsynced
	s.unsynced = nil
	f := s.active
	s.mu.Unlock()
	if g == nil && len(rolled) == 0 {
		return werr
	}
	start := time.Now()
	err := werr
	for _, r := range rolled {
		err = errors.Join(err, r.Sync(), r.Close())
	}
	err = errors.Join(err, f.Sync())
	s.m.fsync.Observe(time.Since(start).Seconds())
	if err != nil {
		err = fmt.Errorf("spool %s: fsync: %w", s.dir, err)
		s.log.Error("fsync failed; the next append starts a new segment", "err", err)
		s.mu.Lock()
		s.broken = true
		s.mu.Unlock()
	}
	if g != nil {
		g.Release(err)
	}
	// The sender reads once per group commit, not once per append: at a
	// steady rate that is one wake for many messages.
	durable.Notify(s.readable)
	return err
}
