package spool

import (
	"errors"
	"fmt"
	"io"
	"os"
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
	s.active = f
	s.segs = append(s.segs, segment{id: id, size: headerSize})
	s.total += headerSize
	s.cursor = Cursor{Segment: id, Offset: headerSize}
	return errors.Join(f.Sync(), syncDir(s.dir))
}

// openActive validates the newest segment, truncates a torn tail and opens
// it for appending. A segment with a foreign header is set aside as
// NAME.corrupt and a new one started.
func (s *Spool) openActive(id uint64) error {
	path := s.segPath(id)
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Size() < headerSize {
		return s.rewriteHeader(id) // torn while being created
	}
	good, n, err := scanSegment(path, headerSize, nil)
	if errors.Is(err, errBadFrame) {
		s.log.Error("segment header is not facmon's; set aside", "segment", path+".corrupt")
		s.m.corrupt.Inc()
		if err := os.Rename(path, path+".corrupt"); err != nil {
			return err
		}
		return s.startFresh(id + 1)
	}
	if err != nil {
		return err
	}
	if good < st.Size() {
		s.log.Warn("torn tail cut off the newest segment", "segment", segName(id),
			"offset", good, "bytes", st.Size()-good, "records_kept", n)
		s.m.truncated.Add(float64(st.Size() - good))
		if err := os.Truncate(path, good); err != nil {
			return fmt.Errorf("truncate %s: %w", path, err)
		}
	}
	return s.appendTo(id, good)
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
	if err := f.Close(); err != nil {
		return err
	}
	return s.appendTo(id, headerSize)
}

func (s *Spool) appendTo(id uint64, size int64) error {
	f, err := os.OpenFile(s.segPath(id), os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	s.active = f
	s.segs = append(s.segs, segment{id: id, size: size})
	s.total += size
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
