package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"facmon/internal/durable"
)

// On-disk format (docs/journal.md has the full description):
//
//	segment file = header frame*
//	header       = "FMJL" version 0 0 0 | first-seq(8) | prev(32) | crc(4)   (52 bytes)
//	frame        = durable frame: length(uint32 LE) crc(uint32 LE) payload   (8 + length)
//	anchor file  = "FMJA" version 0 0 0 | seq(8) | hash(32) | crc(4)         (52 bytes)
//
// CRCs are CRC-32C (Castagnoli); integers in headers are big-endian. A
// segment is named after its first sequence number. The header's prev is
// the hash of the record before its first one; the anchor holds the seq
// and prev of the oldest record kept, so that dropping old segments keeps
// the chain verifiable and deleting one by hand does not.
const (
	headerSize  = 52
	frameHeader = durable.FrameHeader
	fileVersion = 1
	segSuffix   = ".jrn"
	anchorName  = "anchor"
	// damagedSuffix marks a newest segment set aside because its header
	// was unreadable; Verify reports it as a break.
	damagedSuffix = ".damaged"
)

var (
	segMagic    = [4]byte{'F', 'M', 'J', 'L'}
	anchorMagic = [4]byte{'F', 'M', 'J', 'A'}
)

// link is a point in the chain: the seq of the next record and the hash it
// must carry as prev.
type link struct {
	seq  uint64
	hash Hash
}

// encodeLink writes a header or an anchor.
func encodeLink(magic [4]byte, l link) []byte {
	b := make([]byte, 0, headerSize)
	b = append(b, magic[:]...)
	b = append(b, fileVersion, 0, 0, 0)
	b = binary.BigEndian.AppendUint64(b, l.seq)
	b = append(b, l.hash[:]...)
	return binary.BigEndian.AppendUint32(b, durable.Checksum(b))
}

// decodeLink reads a header or an anchor.
func decodeLink(magic [4]byte, b []byte) (link, bool) {
	if len(b) < headerSize || [4]byte(b[:4]) != magic || b[4] != fileVersion {
		return link{}, false
	}
	if durable.Checksum(b[:headerSize-4]) != binary.BigEndian.Uint32(b[headerSize-4:]) {
		return link{}, false
	}
	var l link
	l.seq = binary.BigEndian.Uint64(b[8:])
	copy(l.hash[:], b[16:48])
	return l, l.seq > 0
}

// appendFrame appends payload as a durable frame to dst.
func appendFrame(dst, payload []byte) []byte { return durable.AppendFrame(dst, payload) }

// parseFrame reads the frame at off in seg.
func parseFrame(seg []byte, off int64) durable.Frame {
	return durable.ParseFrame(seg, off, maxRecBytes)
}

// frameAt returns the payload of the frame at off in seg, or false if the
// frame is short, too long or fails its CRC.
func frameAt(seg []byte, off int64) ([]byte, bool) {
	f := parseFrame(seg, off)
	return f.Payload, f.Status == durable.OK
}

// skipFrame returns the offset after the frame at off if its length field
// is plausible (the frame is whole, whatever its CRC), for resynchronising
// after a bad CRC.
func skipFrame(seg []byte, off int64) (int64, bool) {
	f := parseFrame(seg, off)
	return f.Next, f.Status == durable.OK || f.Status == durable.BadChecksum
}

func segName(first uint64) string { return durable.SegmentName(first, segSuffix) }

// listSegments returns the first seqs of the segment files in dir, oldest
// first.
func listSegments(dir string) ([]uint64, error) { return durable.ListSegments(dir, segSuffix) }

// readAnchor returns the anchor of dir; ok is false if it is missing,
// err set if it is unreadable.
func readAnchor(dir string) (l link, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, anchorName))
	if errors.Is(err, os.ErrNotExist) {
		return link{}, false, nil
	}
	if err != nil {
		return link{}, false, err
	}
	l, ok = decodeLink(anchorMagic, b)
	if !ok || len(b) != headerSize {
		return link{}, false, fmt.Errorf("%s: bad anchor file", filepath.Join(dir, anchorName))
	}
	return l, true, nil
}

// writeAnchor replaces the anchor durably (temporary file, fsync, rename,
// fsync of the directory).
func writeAnchor(dir string, l link) error {
	return writeFileAtomic(dir, anchorName, encodeLink(anchorMagic, l))
}

func writeFileAtomic(dir, name string, data []byte) error {
	return durable.WriteFile(filepath.Join(dir, name), data)
}

// createSegment creates the segment that starts at l, with its header
// fsync'd and its directory entry too.
func createSegment(dir string, l link) (*os.File, error) {
	return durable.CreateSegment(filepath.Join(dir, segName(l.seq)), encodeLink(segMagic, l))
}

func syncDir(dir string) error { return durable.SyncDir(dir) }
