package durable

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// FrameError is what Reader.Next returns where the frames stop being
// readable: the offset and why.
type FrameError struct {
	Off    int64
	Status Status
}

func (e *FrameError) Error() string { return fmt.Sprintf("byte %d: %s", e.Off, e.Status) }

// Reader reads frames one after the other from a file (any io.ReaderAt),
// from an offset up to an end that may move as a writer appends. It reads
// with ReadAt, through a buffer, and never past the end it was given, so
// that it never sees bytes a concurrent writer has not finished.
type Reader struct {
	src *boundedReader
	r   *bufio.Reader
	off int64
	max int64
	hdr [FrameHeader]byte
}

// NewReader reads frames from ra at off up to end (end < 0: until ra ends)
// whose payloads are at most maxPayload bytes.
func NewReader(ra io.ReaderAt, off, end, maxPayload int64) *Reader {
	if end < 0 {
		end = math.MaxInt64
	}
	src := &boundedReader{ra: ra, pos: off, end: end}
	return &Reader{src: src, r: bufio.NewReaderSize(src, 256<<10), off: off, max: maxPayload}
}

// Off is the offset of the next frame: the end of the last one Next
// returned.
func (r *Reader) Off() int64 { return r.off }

// End is the end the reader stops at.
func (r *Reader) End() int64 { return r.src.end }

// SetEnd moves the end (the writer appended more).
func (r *Reader) SetEnd(end int64) { r.src.end = end }

// Next returns the payload of the next frame (a new slice), io.EOF at the
// end, or a *FrameError where the frame at Off is not good; after an
// error the reader stays at that frame.
func (r *Reader) Next() ([]byte, error) {
	end := r.src.end
	if r.off >= end {
		return nil, io.EOF
	}
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		if err == io.EOF { // nothing after the last frame
			r.fail(End)
			return nil, io.EOF
		}
		return nil, r.readErr(err)
	}
	n := int64(binary.LittleEndian.Uint32(r.hdr[:4]))
	sum := binary.LittleEndian.Uint32(r.hdr[4:])
	switch {
	case n == 0 || n > r.max:
		return nil, r.fail(BadLength)
	case n > end-r.off-FrameHeader:
		return nil, r.fail(Short)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r.r, p); err != nil {
		return nil, r.readErr(err)
	}
	if Checksum(p) != sum {
		return nil, r.fail(BadChecksum)
	}
	r.off += FrameHeader + n
	return p, nil
}

// fail reports a bad frame at r.off; the buffer is reset so that a later
// Next (after SetEnd) starts again at the frame.
func (r *Reader) fail(s Status) error {
	r.src.pos = r.off
	r.r.Reset(r.src)
	return &FrameError{Off: r.off, Status: s}
}

// readErr: the data ended inside a frame (Short), or the file could not
// be read.
func (r *Reader) readErr(err error) error {
	ferr := r.fail(Short)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return ferr
	}
	return fmt.Errorf("byte %d: %w", r.off, err)
}

// boundedReader reads ra from pos up to end with ReadAt.
type boundedReader struct {
	ra       io.ReaderAt
	pos, end int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.pos >= b.end {
		return 0, io.EOF
	}
	if rest := b.end - b.pos; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.ra.ReadAt(p, b.pos)
	b.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}
