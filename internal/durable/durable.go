// Package durable is facmon's one durable-storage layer: what makes the
// on-disk state survive a crash or kill -9. It holds
//
//   - the frame (length + CRC-32C + payload) every log stores a record in,
//     parsed from memory (ParseFrame, ScanFrames) or read from a file that
//     a writer is appending to (Reader), telling a torn tail (Short) from
//     damage (BadLength, BadChecksum);
//   - the segmented log's file steps: numbered segment files (SegmentName,
//     ListSegments), created with their header fsync'd (CreateSegment),
//     and torn-tail recovery on open (RecoverTail, CutTail);
//   - the group-commit fsync policy (Group, Syncer), apart from the log;
//   - replacing a small file atomically and durably (WriteFile, SyncDir).
//
// The spool, the alarm journal and the notification outbox use it, each
// with its own record format and policy (the spool's cursor, the
// journal's hash chain and anchor, the outbox's compaction), so each gets
// the same, tested framing and sequence of syscalls.
package durable

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// WriteFile replaces path with data: a temporary file beside it (mode
// 0600), written and fsync'd, renamed over path, then the directory
// fsync'd. A crash leaves either the old content or the new, never a mix;
// the temporary file is removed on error.
func WriteFile(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a directory so that files created, renamed or removed in
// it stay so after a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// SegmentName is the file name of segment id: the id zero-padded to 20
// digits, so that names sort as numbers, then suffix.
func SegmentName(id uint64, suffix string) string { return fmt.Sprintf("%020d%s", id, suffix) }

// ListSegments returns the ids of the segment files (SegmentName with
// suffix) in dir, smallest first. Other files, and names whose id does not
// parse or is 0, are ignored.
func ListSegments(dir, suffix string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ids []uint64
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, suffix) {
			continue
		}
		id, err := strconv.ParseUint(strings.TrimSuffix(name, suffix), 10, 64)
		if err != nil || id == 0 {
			continue
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}
