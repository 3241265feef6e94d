package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"facmon/internal/durable"
)

// recover turns a scan into the open journal's state: it removes segments
// left by an interrupted drop, cuts a torn tail, sets aside a newest
// segment whose header is unreadable, and opens the files.
func (j *Journal) recover(s *scan) error {
	j.m.chain(s.brk == nil)
	if s.brk != nil {
		j.log.Error("alarm journal integrity chain broken", "dir", j.dir, "break", s.brk.String())
		if err := writeBrokenMark(j.dir, s.brk); err != nil {
			return err
		}
	}
	for _, id := range s.stale {
		if err := os.Remove(j.segPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := j.ensureAnchor(s); err != nil {
		return err
	}
	segs := s.segs
	if n := len(segs); n > 0 && segs[n-1].torn {
		if err := j.cutTail(&segs[n-1]); err != nil {
			return err
		}
		if segs[n-1].badHead {
			segs = segs[:n-1]
		}
	}
	for i, sg := range segs {
		if err := j.openSegment(sg, i == len(segs)-1); err != nil {
			return err
		}
	}
	appendable := len(segs) > 0 && !segs[len(segs)-1].badHead
	j.next = s.next
	if j.next.seq <= s.lastSeq {
		j.next.seq = s.lastSeq + 1
	}
	j.durable = j.next.seq - 1
	if !appendable {
		return j.startSegment()
	}
	j.updateMetrics()
	return nil
}

// ensureAnchor writes the first anchor of a new journal.
func (j *Journal) ensureAnchor(s *scan) error {
	if s.hasAnchor {
		j.anchor = s.anchor
		return nil
	}
	if len(s.segs) > 0 {
		return nil // missing on a journal with records: a break, left as found
	}
	j.anchor = link{seq: 1}
	return writeAnchor(j.dir, j.anchor)
}

// cutTail truncates the newest segment after its last good frame, or
// removes it if even its header is torn.
func (j *Journal) cutTail(sg *segScan) error {
	path := j.segPath(sg.first)
	cut := sg.size - sg.end
	j.m.truncated.Add(float64(cut))
	j.log.Warn("alarm journal: cut a torn tail (crash mid-append)", "segment", segName(sg.first), "offset", sg.end, "bytes", cut)
	if sg.badHead {
		return os.Remove(path)
	}
	err := durable.CutTail(path, sg.end)
	sg.size = sg.end
	return err
}

// openSegment opens a scanned segment; the newest one for appending. A
// segment with an unreadable header is renamed aside (kept as evidence)
// if it is the newest, since nothing can be appended to it.
func (j *Journal) openSegment(sg segScan, last bool) error {
	path := j.segPath(sg.first)
	if sg.badHead {
		if last {
			return os.Rename(path, path+damagedSuffix)
		}
		return nil
	}
	flag := os.O_RDONLY
	if last {
		flag = os.O_RDWR | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return err
	}
	j.segs = append(j.segs, &segment{first: sg.first, head: sg.head, f: f, size: sg.size, entries: sg.entries})
	j.records += len(sg.entries)
	j.bytes += sg.size
	return nil
}

// startSegment creates a new segment at the end of the chain.
func (j *Journal) startSegment() error {
	f, err := createSegment(j.dir, j.next)
	if err != nil {
		return fmt.Errorf("new segment %s: %w", segName(j.next.seq), err)
	}
	j.segs = append(j.segs, &segment{first: j.next.seq, head: j.next, f: f, size: headerSize})
	j.bytes += headerSize
	j.updateMetrics()
	return nil
}

func (j *Journal) segPath(first uint64) string { return filepath.Join(j.dir, segName(first)) }
