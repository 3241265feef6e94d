package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"facmon/internal/durable"
)

// On-disk format (docs/journal.md has the full description):
//
//	segment file = header frame*
//	header       = "FMJL" version 0 0 0 | first-seq(8) | prev(32) | crc(4)   (52 bytes)
//	frame        = length(uint32 LE) crc(uint32 LE) payload                 (8 + length)
//	anchor file  = "FMJA" version 0 0 0 | seq(8) | hash(32) | crc(4)         (52 bytes)
//
// CRCs are CRC-32C (Castagnoli); integers in headers are big-endian. A
// segment is named after its first sequence number. The header's prev is
// the hash of the record before its first one; the anchor holds the seq
// and prev of the oldest record kept, so that dropping old segments keeps
// the chain verifiable and deleting one by hand does not.
const (
	headerSize  = 52
	frameHeader = 8
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
	crcTab      = crc32.MakeTable(crc32.Castagnoli)
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
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTab))
}

// decodeLink reads a header or an anchor.
func decodeLink(magic [4]byte, b []byte) (link, bool) {
	if len(b) < headerSize || [4]byte(b[:4]) != magic || b[4] != fileVersion {
		return link{}, false
	}
	if crc32.Checksum(b[:headerSize-4], crcTab) != binary.BigEndian.Uint32(b[headerSize-4:]) {
		return link{}, false
	}
	var l link
	l.seq = binary.BigEndian.Uint64(b[8:])
	copy(l.hash[:], b[16:48])
	return l, l.seq > 0
}

// appendFrame appends payload framed as length + CRC + payload to dst.
func appendFrame(dst, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(payload, crcTab))
	return append(dst, payload...)
}

// frameAt returns the payload of the frame at off in seg, or false if the
// frame is short, too long or fails its CRC.
func frameAt(seg []byte, off int64) ([]byte, bool) {
	if off < 0 || int64(len(seg))-off < frameHeader {
		return nil, false
	}
	n := int64(binary.LittleEndian.Uint32(seg[off:]))
	sum := binary.LittleEndian.Uint32(seg[off+4:])
	if n == 0 || n > maxRecBytes || n > int64(len(seg))-off-frameHeader {
		return nil, false
	}
	p := seg[off+frameHeader : off+frameHeader+n]
	return p, crc32.Checksum(p, crcTab) == sum
}

// skipFrame returns the offset after the frame at off if its length field
// is plausible, for resynchronising after a bad CRC.
func skipFrame(seg []byte, off int64) (int64, bool) {
	if int64(len(seg))-off < frameHeader {
		return 0, false
	}
	n := int64(binary.LittleEndian.Uint32(seg[off:]))
	if n == 0 || n > maxRecBytes || n > int64(len(seg))-off-frameHeader {
		return 0, false
	}
	return off + frameHeader + n, true
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
	path := filepath.Join(dir, segName(l.seq))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(encodeLink(segMagic, l)); err != nil {
		f.Close()
		return nil, err
	}
	if err := errors.Join(f.Sync(), syncDir(dir)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func syncDir(dir string) error { return durable.SyncDir(dir) }
