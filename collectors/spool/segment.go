package spool

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"facmon/internal/durable"
)

// On-disk format (docs/storage.md has the full description):
//
//	segment file  = header frame*
//	header        = "FMSP" version(1 byte) 0 0 0            (8 bytes)
//	frame         = durable frame: length(uint32 LE) crc(uint32 LE) payload (8 + length bytes)
//
// crc is CRC-32C (Castagnoli) of the payload. A frame whose length is
// zero, larger than MaxRecordBytes or past the end of the file, or whose
// CRC does not match, ends the readable part of the segment.
const (
	headerSize  = 8
	frameHeader = durable.FrameHeader
	version     = 1
	segSuffix   = ".seg"
	// MaxRecordBytes bounds one record; a larger length field is corruption.
	MaxRecordBytes = 16 << 20
)

var magic = [4]byte{'F', 'M', 'S', 'P'}

// errBadFrame marks the end of the readable part of a segment.
var errBadFrame = errors.New("bad frame")

func segHeader() []byte {
	return []byte{magic[0], magic[1], magic[2], magic[3], version, 0, 0, 0}
}

func validHeader(b []byte) bool {
	return len(b) >= headerSize && [4]byte(b[:4]) == magic && b[4] == version
}

// appendFrame appends rec as a durable frame to dst.
func appendFrame(dst, rec []byte) []byte { return durable.AppendFrame(dst, rec) }

// frameReader reads frames sequentially from a segment file.
type frameReader struct {
	f *os.File
	*durable.Reader
}

// next returns the payload of the next frame, io.EOF at end, or errBadFrame.
func (fr *frameReader) next() ([]byte, error) {
	rec, err := fr.Next()
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("%w: %w", errBadFrame, err)
	}
	return rec, err
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
	if err := checkHeader(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return &frameReader{f: f, Reader: durable.NewReader(f, max(off, headerSize), end, MaxRecordBytes)}, nil
}

// checkHeader reads the segment header of f.
func checkHeader(f *os.File, path string) error {
	var h [headerSize]byte
	if _, err := f.ReadAt(h[:], 0); err != nil || !validHeader(h[:]) {
		return fmt.Errorf("%s: %w: bad segment header", path, errBadFrame)
	}
	return nil
}

// countFrames counts the good frames of a segment from off. visit, if not
// nil, sees each payload.
func countFrames(path string, off int64, visit func([]byte)) (n int, err error) {
	fr, err := openFrames(path, off, -1)
	if err != nil {
		return 0, err
	}
	defer fr.close()
	for {
		rec, err := fr.next()
		if err != nil {
			return n, nil
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

func (s *Spool) segPath(id uint64) string { return filepath.Join(s.dir, segName(id)) }
