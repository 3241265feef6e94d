package spool

import (
	"os"

	"facmon/internal/durable"
)

// recover loads the segments and the cursor after a clean stop or a crash:
// the newest segment is scanned and cut at its last good frame (a torn
// tail after kill -9 or power loss), segments wholly before the cursor are
// deleted, and the cursor is clamped to what exists.
func (s *Spool) recover() error {
	cur, err := readCursor(s.dir)
	if err != nil {
		s.log.Error("cursor unreadable; replaying the whole spool (InfluxDB overwrites the duplicates)", "err", err)
		cur = Cursor{}
	}
	ids, err := listSegments(s.dir)
	if err != nil {
		return err
	}
	ids = s.removeBefore(ids, cur.Segment)
	if len(ids) == 0 {
		return s.startFresh(max(cur.Segment, 1))
	}
	for _, id := range ids[:len(ids)-1] {
		st, err := os.Stat(s.segPath(id))
		if err != nil {
			return err
		}
		s.segs = append(s.segs, segment{id: id, size: st.Size()})
		s.total += st.Size()
	}
	if err := s.openActive(ids[len(ids)-1]); err != nil {
		return err
	}
	s.cursor = s.clampCursor(cur)
	return nil
}

// removeBefore deletes segments that the cursor has passed (a crash
// between the cursor commit and the deletion leaves them).
func (s *Spool) removeBefore(ids []uint64, cursorSeg uint64) []uint64 {
	var keep []uint64
	for _, id := range ids {
		if id < cursorSeg {
			if err := os.Remove(s.segPath(id)); err != nil {
				s.log.Warn("remove sent segment", "segment", segName(id), "err", err)
			}
			continue
		}
		keep = append(keep, id)
	}
	return keep
}

func (s *Spool) startFresh(id uint64) error {
	f, err := createSegment(s.segPath(id))
	if err != nil {
		return err
	}
	s.adopt(id, f, headerSize)
	s.cursor = Cursor{Segment: id, Offset: headerSize}
	return nil
}

// adopt makes f (segment id, size bytes) the active segment.
func (s *Spool) adopt(id uint64, f *os.File, size int64) {
	s.active = f
	s.segs = append(s.segs, segment{id: id, size: size})
	s.total += size
}

// openActive validates the newest segment, cuts a torn tail and opens it
// for appending. A segment with a foreign header is set aside as
// NAME.corrupt and a new one started.
func (s *Spool) openActive(id uint64) error {
	path := s.segPath(id)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if st.Size() < headerSize {
		f.Close()
		return s.rewriteHeader(id) // torn while being created
	}
	if err := checkHeader(f, path); err != nil {
		f.Close()
		return s.setAside(id)
	}
	tail, err := durable.RecoverTail(path, headerSize, MaxRecordBytes, nil)
	if err != nil {
		f.Close()
		return err
	}
	if tail.Cut > 0 {
		s.log.Warn("torn tail cut off the newest segment", "segment", segName(id),
			"offset", tail.Good, "bytes", tail.Cut, "records_kept", tail.Frames)
		s.m.truncated.Add(float64(tail.Cut))
	}
	// What the crashed process wrote may still be only in the page cache.
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	s.adopt(id, f, tail.Good)
	return nil
}

// setAside renames a newest segment whose header is not facmon's to
// NAME.corrupt and starts the next one.
func (s *Spool) setAside(id uint64) error {
	path := s.segPath(id)
	s.log.Error("segment header is not facmon's; set aside", "segment", path+".corrupt")
	s.m.corrupt.Inc()
	if err := os.Rename(path, path+".corrupt"); err != nil {
		return err
	}
	return s.startFresh(id + 1)
}

func (s *Spool) rewriteHeader(id uint64) error {
	path := s.segPath(id)
	if err := os.Remove(path); err != nil {
		return err
	}
	f, err := createSegment(path)
	if err != nil {
		return err
	}
	s.adopt(id, f, headerSize)
	return nil
}

// clampCursor keeps the cursor inside the segments that exist.
func (s *Spool) clampCursor(c Cursor) Cursor {
	first, last := s.segs[0], s.segs[len(s.segs)-1]
	switch {
	case c.Segment < first.id:
		return Cursor{Segment: first.id, Offset: headerSize}
	case c.Segment > last.id:
		return Cursor{Segment: last.id, Offset: last.size}
	}
	c.Offset = max(c.Offset, headerSize)
	for _, seg := range s.segs {
		if seg.id == c.Segment {
			c.Offset = min(c.Offset, seg.size)
		}
	}
	return c
}
