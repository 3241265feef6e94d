package spool

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"

	"facmon/internal/durable"
)

// The cursor file is segment(uint64 LE) offset(uint64 LE) crc(uint32 LE of
// the 16 bytes before it), replaced atomically: written to cursor.tmp,
// fsync'd, renamed over cursor, and the directory fsync'd.
const (
	cursorFile = "cursor"
	cursorSize = 20
)

var errBadCursor = errors.New("bad cursor file")

func encodeCursor(c Cursor) []byte {
	b := make([]byte, 0, cursorSize)
	b = binary.LittleEndian.AppendUint64(b, c.Segment)
	b = binary.LittleEndian.AppendUint64(b, uint64(c.Offset))
	return binary.LittleEndian.AppendUint32(b, durable.Checksum(b))
}

func decodeCursor(b []byte) (Cursor, error) {
	if len(b) != cursorSize || durable.Checksum(b[:16]) != binary.LittleEndian.Uint32(b[16:]) {
		return Cursor{}, errBadCursor
	}
	c := Cursor{Segment: binary.LittleEndian.Uint64(b), Offset: int64(binary.LittleEndian.Uint64(b[8:]))}
	if c.Offset < 0 {
		return Cursor{}, errBadCursor
	}
	return c, nil
}

// readCursor loads the committed cursor; a missing file is the zero Cursor.
func readCursor(dir string) (Cursor, error) {
	b, err := os.ReadFile(filepath.Join(dir, cursorFile))
	if errors.Is(err, os.ErrNotExist) {
		return Cursor{}, nil
	}
	if err != nil {
		return Cursor{}, err
	}
	return decodeCursor(b)
}

// writeCursor persists c atomically and durably.
func writeCursor(dir string, c Cursor) error {
	return durable.WriteFile(filepath.Join(dir, cursorFile), encodeCursor(c))
}
