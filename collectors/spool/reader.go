package spool

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Reader reads records in order from the committed cursor. There is one
// reader per spool: the sender. It reads records as soon as they are
// written (possibly before their fsync completes; such a record may reach
// InfluxDB without being accepted, which is harmless).
type Reader struct {
	s   *Spool
	pos Cursor
	fr  *frameReader
}

// NewReader returns a reader positioned at the committed cursor.
func (s *Spool) NewReader() *Reader {
	return &Reader{s: s, pos: s.Committed()}
}

// Pos is the position after the last record Next returned; pass it to
// Commit once those records are written.
func (r *Reader) Pos() Cursor { return r.pos }

// Close releases the reader's file.
func (r *Reader) Close() error {
	if r.fr == nil {
		return nil
	}
	err := r.fr.close()
	r.fr = nil
	return err
}

// Next returns up to maxRecords records (and about maxBytes) that are in
// the spool now, possibly none. A corrupt frame in an old segment skips the
// rest of that segment, logged and counted.
func (r *Reader) Next(maxRecords int, maxBytes int64) ([][]byte, error) {
	var out [][]byte
	var size int64
	for len(out) < maxRecords && size < maxBytes {
		seg, end, last, ok := r.s.locate(r.pos)
		if !ok {
			return out, nil // closed
		}
		if seg != r.pos.Segment {
			r.moveTo(Cursor{Segment: seg, Offset: headerSize})
		}
		if r.pos.Offset >= end {
			if last {
				return out, nil
			}
			r.moveTo(Cursor{Segment: r.s.nextSegment(seg), Offset: headerSize})
			continue
		}
		recs, n, err := r.read(end, maxRecords-len(out), maxBytes-size)
		out = append(out, recs...)
		size += n
		if err != nil {
			r.skipCorrupt(end, last, err)
		}
	}
	return out, nil
}

// read reads frames of the current segment up to end.
func (r *Reader) read(end int64, maxRecords int, maxBytes int64) ([][]byte, int64, error) {
	if r.fr == nil {
		fr, err := openFrames(r.s.segPath(r.pos.Segment), r.pos.Offset, end)
		if err != nil {
			return nil, 0, err
		}
		r.fr = fr
	}
	r.fr.SetEnd(end)
	var out [][]byte
	var size int64
	for len(out) < maxRecords && size < maxBytes {
		rec, err := r.fr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, size, err
		}
		out = append(out, rec)
		size += int64(len(rec))
		r.pos.Offset = r.fr.Off()
	}
	return out, size, nil
}

// skipCorrupt moves past an unreadable part: to the end of the segment as
// it is now (the rest is lost, counted).
func (r *Reader) skipCorrupt(end int64, last bool, err error) {
	if errors.Is(err, os.ErrNotExist) { // the cap deleted it meanwhile; counted there
		r.moveTo(Cursor{Segment: r.s.nextSegment(r.pos.Segment), Offset: headerSize})
		return
	}
	r.s.log.Error("spool segment unreadable from this offset; skipping the rest of it",
		"segment", segName(r.pos.Segment), "offset", r.pos.Offset, "err", err)
	r.s.m.corrupt.Inc()
	if !last {
		r.moveTo(Cursor{Segment: r.s.nextSegment(r.pos.Segment), Offset: headerSize})
		return
	}
	r.moveTo(Cursor{Segment: r.pos.Segment, Offset: end})
}

func (r *Reader) moveTo(c Cursor) {
	_ = r.Close()
	r.pos = c
}

// locate finds the first segment at or after pos: its id, written end,
// whether it is the active one. ok is false once closed.
func (s *Spool) locate(pos Cursor) (id uint64, end int64, last, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, 0, false, false
	}
	for i, seg := range s.segs {
		if seg.id >= pos.Segment {
			return seg.id, seg.size, i == len(s.segs)-1, true
		}
	}
	// pos is past the newest segment (it was skipped whole): nothing to
	// read until the writer starts that segment.
	return pos.Segment, headerSize, true, true
}

// nextSegment is the id after id that exists, or id+1.
func (s *Spool) nextSegment(id uint64) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, seg := range s.segs {
		if seg.id > id {
			return seg.id
		}
	}
	return id + 1
}

// Commit persists c (fsync'd, atomic rename) once the records before it
// are in InfluxDB, and deletes the segments wholly before it.
func (s *Spool) Commit(c Cursor) error {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if err := writeCursor(s.dir, c); err != nil {
		return fmt.Errorf("spool %s: commit cursor: %w", s.dir, err)
	}
	s.mu.Lock()
	s.cursor = c
	var gone []uint64
	for len(s.segs) > 1 && s.segs[0].id < c.Segment {
		gone = append(gone, s.segs[0].id)
		s.total -= s.segs[0].size
		s.segs = s.segs[1:]
	}
	s.m.update(s.total, len(s.segs))
	s.mu.Unlock()
	for _, id := range gone {
		if err := os.Remove(s.segPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove sent segment", "segment", segName(id), "err", err)
		}
	}
	return nil
}
