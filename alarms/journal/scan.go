package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Break is the first place where the journal's integrity fails.
type Break struct {
	// Seq is the record number at the break: the record found, or the one
	// expected where records are missing.
	Seq uint64 `json:"seq"`
	// Segment is the file, Offset the byte in it.
	Segment string `json:"segment"`
	Offset  int64  `json:"offset"`
	Reason  string `json:"reason"`
}

// String says where the chain breaks and why.
func (b *Break) String() string {
	return fmt.Sprintf("record %d (%s byte %d): %s", b.Seq, b.Segment, b.Offset, b.Reason)
}

// entry indexes one record of a segment.
type entry struct {
	seq  uint64
	time int64 // unix ns
	typ  Type
	off  int64  // offset of the frame
	size uint32 // payload length
}

// segScan is what a scan found in one segment.
type segScan struct {
	first   uint64 // from the file name
	head    link   // from the header
	entries []entry
	end     int64 // end of the readable part
	size    int64 // file size
	torn    bool  // the newest segment ends in a torn append
	badHead bool
}

// scan is what a scan of a journal directory found.
type scan struct {
	anchor    link
	hasAnchor bool
	stale     []uint64 // segments wholly before the anchor (an unfinished drop)
	segs      []segScan
	next      link // the end of the chain
	lastSeq   uint64
	brk       *Break
	records   int
	bytes     int64
	// witness, if its Seq is set, covers every record up to it: a damaged
	// newest frame it covers is a break. witnessHash is the hash found
	// for witness.Seq.
	witness     Head
	witnessSeen bool
	witnessHash Hash
}

// errVanished: a segment disappeared while being read (the journal dropped
// it under a concurrent Verify); the scan is retried.
var errVanished = errors.New("segment vanished during the scan")

func (s *scan) breakAt(seq uint64, seg string, off int64, format string, args ...any) {
	if s.brk == nil {
		s.brk = &Break{Seq: seq, Segment: seg, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
}

// scanDir reads every segment of dir, checks framing, CRCs, sequence
// continuity and the hash chain, and indexes the records.
func scanDir(dir string) (*scan, error) { return scanWitnessed(dir, Head{}) }

// scanRetry scans, again if a segment vanished under a running journal.
func scanRetry(dir string, w Head) (*scan, error) {
	var s *scan
	var err error
	for range 3 {
		if s, err = scanWitnessed(dir, w); !errors.Is(err, errVanished) {
			break
		}
	}
	return s, err
}

// scanWitnessed is scanDir with a witness head (zero: none).
func scanWitnessed(dir string, w Head) (*scan, error) {
	s := &scan{witness: w}
	// Segments are listed before the anchor is read: a drop by a running
	// journal writes the anchor first, so the list then holds at most
	// stale segments, never lacks one the anchor expects.
	ids, err := listSegments(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err) // names the directory
	}
	anc, ok, err := readAnchor(dir)
	if err != nil {
		s.breakAt(0, anchorName, 0, "anchor file unreadable")
	}
	s.anchor, s.hasAnchor = anc, ok
	if damaged, _ := filepath.Glob(filepath.Join(dir, "*"+segSuffix+damagedSuffix)); len(damaged) > 0 {
		s.breakAt(0, filepath.Base(damaged[0]), 0, "segment with an unreadable header set aside on open")
	}
	ids = s.splitStale(ids)
	expect := link{seq: 1}
	switch {
	case s.hasAnchor:
		expect = s.anchor
	case len(ids) > 0 && s.brk == nil:
		s.breakAt(ids[0], anchorName, 0, "anchor file missing: the oldest records cannot be checked")
	}
	if s.hasAnchor && s.anchor.seq > 1 && len(ids) == 0 {
		// The caps never drop the newest segment.
		s.breakAt(s.anchor.seq, anchorName, 0, "no segment left after record %d: segments deleted", s.anchor.seq-1)
	}
	for i, id := range ids {
		data, err := os.ReadFile(filepath.Join(dir, segName(id)))
		if errors.Is(err, os.ErrNotExist) {
			return nil, errVanished
		}
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err) // names the file
		}
		var sg segScan
		sg, expect = s.scanSegment(id, data, expect, i == len(ids)-1)
		s.segs = append(s.segs, sg)
		s.bytes += sg.size
	}
	s.next = expect
	if s.brk == nil {
		s.brk = readBrokenMark(dir)
	}
	return s, nil
}

// splitStale sets aside the segments that end before the anchor: a crash
// came between writing the anchor and deleting them.
func (s *scan) splitStale(ids []uint64) []uint64 {
	for s.hasAnchor && len(ids) > 1 && ids[1] <= s.anchor.seq {
		s.stale = append(s.stale, ids[0])
		ids = ids[1:]
	}
	return ids
}

// scanSegment checks one segment, starting from the chain link expect,
// and returns what it found and the link after its last record.
func (s *scan) scanSegment(id uint64, data []byte, expect link, last bool) (segScan, link) {
	name := segName(id)
	sg := segScan{first: id, size: int64(len(data)), end: int64(len(data))}
	head, ok := decodeLink(segMagic, data)
	if !ok {
		sg.badHead, sg.end = true, 0
		if last && len(data) < headerSize {
			sg.torn = true // crash while creating the segment
			return sg, expect
		}
		s.breakAt(expect.seq, name, 0, "bad segment header")
		return sg, expect
	}
	sg.head = head
	switch {
	case head.seq != id:
		s.breakAt(expect.seq, name, 0, "header says the segment starts at record %d, its name says %d", head.seq, id)
	case head.seq != expect.seq:
		s.breakAt(expect.seq, name, 0, "segment starts at record %d, want %d: records deleted", head.seq, expect.seq)
	case head.hash != expect.hash:
		s.breakAt(expect.seq, name, 0, "segment header does not link to the record before it")
	}
	return sg, s.scanFrames(&sg, data, head, last)
}

// scanFrames walks the frames of one segment.
func (s *scan) scanFrames(sg *segScan, data []byte, expect link, last bool) link {
	name := segName(sg.first)
	off := int64(headerSize)
	for off < int64(len(data)) {
		rec, self, ok := recordAt(data, off)
		if !ok {
			next, resync := resyncAfter(data, off)
			if last && !resync && !s.witnessCovers(data, off, expect.seq) {
				sg.torn, sg.end = true, off
				return expect
			}
			if last && !resync {
				s.breakAt(expect.seq, name, off, "the newest record is complete but fails its CRC, and the witness saw record %d acknowledged: damaged, not a torn append", s.witness.Seq)
				sg.end = off
				return expect
			}
			s.breakAt(expect.seq, name, off, "frame fails its CRC or does not decode: record edited or damaged")
			if !resync {
				sg.end = off
				return expect
			}
			off = next
			continue
		}
		s.checkLink(rec, self, expect, name, off)
		if s.witness.Seq != 0 && rec.Seq == s.witness.Seq {
			s.witnessSeen, s.witnessHash = true, rec.Hash
		}
		if rec.Seq > s.lastSeq {
			sg.entries = append(sg.entries, entry{seq: rec.Seq, time: rec.Time.UnixNano(), typ: rec.Type, off: off, size: uint32(sizeAt(data, off))})
			s.lastSeq = rec.Seq
			s.records++
		}
		expect = link{seq: rec.Seq + 1, hash: rec.Hash}
		off += frameHeader + sizeAt(data, off)
	}
	return expect
}

// checkLink records a break if rec does not continue the chain at expect.
func (s *scan) checkLink(rec Record, self bool, expect link, seg string, off int64) {
	switch {
	case rec.Seq != expect.seq:
		s.breakAt(expect.seq, seg, off, "found record %d where record %d belongs: records deleted or inserted", rec.Seq, expect.seq)
	case rec.Prev != expect.hash:
		s.breakAt(rec.Seq, seg, off, "prev hash does not match the record before: a record before it was edited or removed")
	case !self:
		s.breakAt(rec.Seq, seg, off, "hash does not match the record's content: record edited")
	}
}

// recordAt decodes the frame at off.
func recordAt(data []byte, off int64) (Record, bool, bool) {
	p, ok := frameAt(data, off)
	if !ok {
		return Record{}, false, false
	}
	rec, self, err := decodeRecord(p)
	return rec, self, err == nil
}

func sizeAt(data []byte, off int64) int64 {
	n, _ := skipFrame(data, off)
	return n - off - frameHeader
}

// witnessCovers reports whether the frame at off is whole (its length
// field and payload are all there) and the witness saw record seq: then a
// bad checksum is damage to an acknowledged record, not a torn append.
func (s *scan) witnessCovers(data []byte, off int64, seq uint64) bool {
	if s.witness.Seq < seq {
		return false
	}
	next, ok := skipFrame(data, off)
	return ok && next <= int64(len(data))
}

// resyncAfter tells a damaged frame in the middle from a torn tail: if the
// bad frame's length leads to a good frame (or, in an older segment, to
// the end), the segment goes on after it.
func resyncAfter(data []byte, off int64) (int64, bool) {
	next, ok := skipFrame(data, off)
	if !ok || next >= int64(len(data)) {
		return 0, false
	}
	_, _, good := recordAt(data, next)
	return next, good
}
