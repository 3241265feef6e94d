package durable

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// A segmented log is a directory of numbered segment files (SegmentName,
// ListSegments), each an owner's header followed by frames. Only the
// newest segment is ever appended to, and a segment is fsync'd before the
// next one is started, so only the newest can end in a torn frame:
// RecoverTail cuts it on open. What a record means, when segments are
// dropped and what a damaged older segment means are the owner's policy.

// CreateSegment creates the segment file path exclusively, opened for
// reading and appending, with header written and fsync'd, and fsyncs its
// directory so that the new name survives a crash.
func CreateSegment(path string, header []byte) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(header); err != nil {
		f.Close()
		return nil, err
	}
	if err := errors.Join(f.Sync(), SyncDir(filepath.Dir(path))); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CutTail truncates the file at path to size and fsyncs it: cutting a
// torn tail off the newest segment.
func CutTail(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := errors.Join(f.Truncate(size), f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("cut %s at byte %d: %w", path, size, err)
	}
	return nil
}

// Tail is what RecoverTail found in a segment.
type Tail struct {
	// Good is the end of the last good frame, where appends continue.
	Good int64
	// Frames is the number of good frames from the offset scanned.
	Frames int
	// Cut is the number of bytes cut off after Good (0 if none).
	Cut int64
	// Stop says why the scan stopped (End if the file was whole).
	Stop Status
}

// RecoverTail reads the frames of the segment at path from off (after its
// header) and cuts the file after the last good one, fsync'd: the torn
// tail that a crash in the middle of an append leaves. visit, if not nil,
// sees each good payload.
func RecoverTail(path string, off, maxPayload int64, visit func([]byte)) (Tail, error) {
	f, err := os.Open(path)
	if err != nil {
		return Tail{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return Tail{}, err
	}
	t, err := scanTail(f, off, st.Size(), maxPayload, visit)
	f.Close()
	if err != nil {
		return t, fmt.Errorf("%s: %w", path, err)
	}
	if t.Cut > 0 {
		return t, CutTail(path, t.Good)
	}
	return t, nil
}

func scanTail(f *os.File, off, size, maxPayload int64, visit func([]byte)) (Tail, error) {
	r := NewReader(f, off, size, maxPayload)
	t := Tail{Stop: End}
	for {
		p, err := r.Next()
		var fe *FrameError
		switch {
		case err == io.EOF:
		case errors.As(err, &fe):
			t.Stop = fe.Status
		case err != nil:
			return t, err
		}
		if err != nil {
			break
		}
		t.Frames++
		if visit != nil {
			visit(p)
		}
	}
	t.Good = r.Off()
	t.Cut = size - t.Good
	return t, nil
}
