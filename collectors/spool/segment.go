package spool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"facmon/internal/durable"
)

// On-disk format (docs/storage.md has the full description):
//
//	segment file  = header frame*
//	header        = "FMSP" version(1 byte) 0 0 0            (8 bytes)
//	frame         = length(uint32 LE) crc(uint32 LE) payload (8 + length bytes)
//
// crc is CRC-32C (Castagnoli) of the payload. A frame whose length is
// zero, larger than MaxRecordBytes or past the end of the file, or whose
// CRC does not match, ends the readable part of the segment.
const (
	headerSize  = 8
	frameHeader = 8
	version     = 1
	segSuffix   = ".seg"
	// MaxRecordBytes bounds one record; a larger length field is corruption.
	MaxRecordBytes = 16 << 20
)

var (
	magic  = [4]byte{'F', 'M', 'S', 'P'}
	crcTab = crc32.MakeTable(crc32.Castagnoli)
)

// errBadFrame marks the end of the readable part of a segment.
var errBadFrame = errors.New("bad frame")

func segHeader() []byte {
	return []byte{magic[0], magic[1], magic[2], magic[3], version, 0, 0, 0}
}

func validHeader(b []byte) bool {
	return len(b) >= headerSize && [4]byte(b[:4]) == magic && b[4] == version
}

// appendFrame appends rec framed as length + CRC + payload to dst.
func appendFrame(dst, rec []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(rec)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(rec, crcTab))
	return append(dst, rec...)
}

func frameSize(rec []byte) int64 { return int64(frameHeader + len(rec)) }

// boundedReader reads a file from pos up to end with ReadAt, so that a
// buffered reader never sees bytes the writer has not finished.
type boundedReader struct {
	f        *os.File
	pos, end int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.pos >= b.end {
		return 0, io.EOF
	}
	if rest := b.end - b.pos; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.f.ReadAt(p, b.pos)
	b.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// frameReader reads frames sequentially from a segment.
type frameReader struct {
	f   *os.File
	src *boundedReader
	r   *bufio.Reader
	off int64 // offset of the next frame
	hdr [frameHeader]byte
}

// setEnd moves the readable end (the writer appended more).
func (fr *frameReader) setEnd(end int64) { fr.src.end = end }

func (fr *frameReader) end() int64 { return fr.src.end }

// next returns the payload of the next frame, io.EOF at end, or errBadFrame.
func (fr *frameReader) next() ([]byte, error) {
	end := fr.src.end
	if fr.off >= end {
		return nil, io.EOF
	}
	if end-fr.off < frameHeader {
		return nil, errBadFrame
	}
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		return nil, errBadFrame
	}
	n := int64(binary.LittleEndian.Uint32(fr.hdr[:4]))
	sum := binary.LittleEndian.Uint32(fr.hdr[4:])
	if n == 0 || n > MaxRecordBytes || n > end-fr.off-frameHeader {
		return nil, errBadFrame
	}
	rec := make([]byte, n)
	if _, err := io.ReadFull(fr.r, rec); err != nil {
		return nil, errBadFrame
	}
	if crc32.Checksum(rec, crcTab) != sum {
		return nil, errBadFrame
	}
	fr.off += frameHeader + n
	return rec, nil
}

func (fr *frameReader) close() error { return fr.f.Close() }

// openFrames opens segment path positioned at off (the header is skipped
// when off < headerSize) and bounded by end (< 0: the file size). It
// checks the header.
func openFrames(path string, off, end int64) (*frameReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if end < 0 {
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		end = st.Size()
	}
	var h [headerSize]byte
	if _, err := f.ReadAt(h[:], 0); err != nil || !validHeader(h[:]) {
		f.Close()
		return nil, fmt.Errorf("%s: %w: bad segment header", path, errBadFrame)
	}
	if off < headerSize {
		off = headerSize
	}
	src := &boundedReader{f: f, pos: off, end: end}
	return &frameReader{f: f, src: src, r: bufio.NewReaderSize(src, 256<<10), off: off}, nil
}

// scanSegment walks the frames of a segment from off and returns the end
// of the last good frame and how many good frames it saw. visit, if not
// nil, sees each payload.
func scanSegment(path string, off int64, visit func([]byte)) (goodEnd int64, n int, err error) {
	fr, err := openFrames(path, off, -1)
	if err != nil {
		return 0, 0, err
	}
	defer fr.close()
	for {
		rec, err := fr.next()
		if err != nil {
			return fr.off, n, nil
		}
		n++
		if visit != nil {
			visit(rec)
		}
	}
}

func segName(id uint64) string { return durable.SegmentName(id, segSuffix) }

// listSegments returns the ids of the segment files in dir, oldest first.
func listSegments(dir string) ([]uint64, error) { return durable.ListSegments(dir, segSuffix) }

func syncDir(dir string) error { return durable.SyncDir(dir) }

func (s *Spool) segPath(id uint64) string { return filepath.Join(s.dir, segName(id)) }
