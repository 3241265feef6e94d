package durable

import (
	"encoding/binary"
	"hash/crc32"
)

// A frame is how every facmon log stores one record:
//
//	frame = length(uint32 LE) crc(uint32 LE) payload      (FrameHeader + length bytes)
//
// crc is the CRC-32C (Castagnoli) of the payload. The payload is the
// owner's record format; the framing only says where a record ends and
// whether its bytes are the ones written.
const FrameHeader = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the CRC-32C of b, the checksum of frames; owners use it for
// their own fixed headers too.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// AppendFrame appends payload framed as length + CRC + payload to dst.
func AppendFrame(dst, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, Checksum(payload))
	return append(dst, payload...)
}

// FrameSize is the size on disk of a frame holding n payload bytes.
func FrameSize(n int) int64 { return int64(FrameHeader + n) }

// Status says what was found at an offset of a log.
type Status uint8

const (
	// OK: a whole frame whose checksum matches.
	OK Status = iota
	// End: the offset is the end of the data; nothing follows.
	End
	// Short: fewer bytes follow than a frame header, or than the length
	// field says. At the end of the newest segment this is the torn tail
	// of an append cut by a crash.
	Short
	// BadLength: the length field is 0 or above the owner's limit: the
	// bytes are not a frame (damage, or a torn header).
	BadLength
	// BadChecksum: a complete frame whose payload fails its CRC. Next is
	// set, so a reader may resynchronise after it.
	BadChecksum
)

var statusNames = [...]string{OK: "ok", End: "end", Short: "short frame", BadLength: "bad frame length", BadChecksum: "frame checksum mismatch"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown frame status"
}

// Frame is what ParseFrame found at Off.
type Frame struct {
	Off    int64
	Status Status
	// Payload is set for OK and BadChecksum (it aliases the data).
	Payload []byte
	// Next is the offset after the frame, set for OK and BadChecksum.
	Next int64
}

// ParseFrame reads the frame at off in data. maxPayload bounds a length
// field, so that a damaged one is never trusted.
func ParseFrame(data []byte, off, maxPayload int64) Frame {
	f := Frame{Off: off}
	rest := int64(len(data)) - off
	switch {
	case off < 0 || rest < 0:
		f.Status = BadLength
		return f
	case rest == 0:
		f.Status = End
		return f
	case rest < FrameHeader:
		f.Status = Short
		return f
	}
	n := int64(binary.LittleEndian.Uint32(data[off:]))
	sum := binary.LittleEndian.Uint32(data[off+4:])
	switch {
	case n == 0 || n > maxPayload:
		f.Status = BadLength
		return f
	case n > rest-FrameHeader:
		f.Status = Short
		return f
	}
	f.Payload = data[off+FrameHeader : off+FrameHeader+n]
	f.Next = off + FrameHeader + n
	if Checksum(f.Payload) != sum {
		f.Status = BadChecksum
	}
	return f
}

// ScanFrames walks the frames of data from off, calling visit (if not
// nil) for each good one, and returns the first frame that is not good:
// its Off is the end of the readable part (Status End if all of data is).
func ScanFrames(data []byte, off, maxPayload int64, visit func(Frame)) Frame {
	for {
		f := ParseFrame(data, off, maxPayload)
		if f.Status != OK {
			return f
		}
		if visit != nil {
			visit(f)
		}
		off = f.Next
	}
}
