package journal

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"facmon/internal/durable"
)

// Snapshot file (in DIR/snapshots, named snap-<seq>.fjs):
//
//	"FMJS" version 0 0 0 | seq(8) | time-unix-ns(8) | hash(32) | length(8) | state | crc(4)
//
// hash is the chain hash of record seq, so that a snapshot that does not
// belong to this journal is refused; crc is CRC-32C of everything before.
const (
	snapDir    = "snapshots"
	snapPrefix = "snap-"
	snapSuffix = ".fjs"
	snapFixed  = 8 + 8 + 8 + 32 + 8
)

var snapMagic = [4]byte{'F', 'M', 'J', 'S'}

// snapshot is one decoded snapshot file.
type snapshot struct {
	seq   uint64
	time  time.Time
	hash  Hash
	state []byte
}

func encodeSnapshot(s snapshot) []byte {
	b := make([]byte, 0, snapFixed+len(s.state)+4)
	b = append(b, snapMagic[:]...)
	b = append(b, fileVersion, 0, 0, 0)
	b = binary.BigEndian.AppendUint64(b, s.seq)
	b = binary.BigEndian.AppendUint64(b, uint64(s.time.UnixNano()))
	b = append(b, s.hash[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(s.state)))
	b = append(b, s.state...)
	return binary.BigEndian.AppendUint32(b, durable.Checksum(b))
}

func decodeSnapshot(b []byte) (snapshot, bool) {
	if len(b) < snapFixed+4 || [4]byte(b[:4]) != snapMagic || b[4] != fileVersion {
		return snapshot{}, false
	}
	n := binary.BigEndian.Uint64(b[56:])
	if n != uint64(len(b)-snapFixed-4) {
		return snapshot{}, false
	}
	body := b[:len(b)-4]
	if durable.Checksum(body) != binary.BigEndian.Uint32(b[len(body):]) {
		return snapshot{}, false
	}
	s := snapshot{
		seq:   binary.BigEndian.Uint64(b[8:]),
		time:  time.Unix(0, int64(binary.BigEndian.Uint64(b[16:]))).UTC(),
		state: body[snapFixed:],
	}
	copy(s.hash[:], b[24:56])
	return s, true
}

func snapName(seq uint64) string { return fmt.Sprintf("%s%020d%s", snapPrefix, seq, snapSuffix) }

// listSnapshots returns the seqs of the snapshot files in dir, newest first.
func listSnapshots(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, snapPrefix) || !strings.HasSuffix(name, snapSuffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, snapPrefix), snapSuffix), 10, 64)
		if err == nil {
			seqs = append(seqs, seq)
		}
	}
	sort.Slice(seqs, func(i, k int) bool { return seqs[i] > seqs[k] })
	return seqs, nil
}

// Snapshot stores state as a backup that covers the journal up to and
// including record seq (the last seq Append returned whose record the
// state includes), fsync'd, and deletes the snapshots beyond Backups.Keep.
func (j *Journal) Snapshot(ctx context.Context, state []byte, seq uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j.mu.RLock()
	closed, last := j.closed, j.durable
	h, known := j.linkAt(seq)
	j.mu.RUnlock()
	switch {
	case closed:
		return ErrClosed
	case seq > last:
		return fmt.Errorf("journal snapshot: covers record %d, but the journal ends at record %d", seq, last)
	case !known:
		return fmt.Errorf("journal snapshot: record %d is no longer in the journal", seq)
	}
	j.snapMu.Lock()
	defer j.snapMu.Unlock()
	dir := filepath.Join(j.dir, snapDir)
	s := snapshot{seq: seq, time: j.o.Now(), hash: h, state: state}
	if err := writeFileAtomic(dir, snapName(seq), encodeSnapshot(s)); err != nil {
		return fmt.Errorf("journal snapshot %s: %w", filepath.Join(dir, snapName(seq)), err)
	}
	j.m.snapshots.Inc()
	j.pruneSnapshots(dir)
	return nil
}

// pruneSnapshots deletes the snapshots beyond Backups.Keep, oldest first.
func (j *Journal) pruneSnapshots(dir string) {
	seqs, err := listSnapshots(dir)
	if err != nil {
		j.log.Error("alarm journal: list snapshots", "dir", dir, "err", err)
		return
	}
	for _, seq := range seqs[min(len(seqs), j.o.Backups.Keep):] {
		if err := os.Remove(filepath.Join(dir, snapName(seq))); err != nil {
			j.log.Error("alarm journal: delete old snapshot", "file", snapName(seq), "err", err)
		}
	}
}

// Restore returns the newest valid snapshot's state, the seq it covers,
// and the durable records after it to replay, oldest first. A snapshot
// that is damaged, or that does not match the journal (its record's hash
// differs, or it covers records the journal does not have), is skipped
// with a warning, and the one before it is used. With no usable snapshot,
// state is nil, since is 0 and records are all the journal holds. If the
// caps dropped records after the snapshot, records start later than
// since+1 (logged).
func (j *Journal) Restore() (state []byte, since uint64, records []Record, err error) {
	defer j.restore.Do(func() { close(j.restored) })
	dir := filepath.Join(j.dir, snapDir)
	seqs, err := listSnapshots(dir)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("journal restore: %w", err)
	}
	for _, seq := range seqs {
		s, ok := j.loadSnapshot(dir, seq)
		if !ok {
			continue
		}
		recs, err := j.Since(s.seq)
		if len(recs) > 0 && recs[0].Seq != s.seq+1 {
			j.log.Warn("alarm journal: records between the snapshot and the oldest kept record were overwritten", "snapshot", seq, "first", recs[0].Seq)
		}
		return s.state, s.seq, recs, err
	}
	recs, err := j.Since(0)
	return nil, 0, recs, err
}

// loadSnapshot reads and checks one snapshot against the journal.
func (j *Journal) loadSnapshot(dir string, seq uint64) (snapshot, bool) {
	path := filepath.Join(dir, snapName(seq))
	b, err := os.ReadFile(path)
	if err != nil {
		j.log.Warn("alarm journal: snapshot unreadable, trying the one before", "file", path, "err", err)
		return snapshot{}, false
	}
	s, ok := decodeSnapshot(b)
	if !ok || s.seq != seq {
		j.log.Warn("alarm journal: snapshot damaged, trying the one before", "file", path)
		return snapshot{}, false
	}
	j.mu.RLock()
	last := j.durable
	h, known := j.linkAt(seq)
	j.mu.RUnlock()
	if seq > last || (known && h != s.hash) {
		j.log.Warn("alarm journal: snapshot does not match the journal, trying the one before", "file", path, "journal_last", last)
		return snapshot{}, false
	}
	return s, true
}

// backupLoop takes a snapshot every Backups.Interval once Restore was
// called.
func (j *Journal) backupLoop(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-j.restored:
	}
	for sleep(ctx, j.o.Backups.Interval) {
		state, seq, err := j.o.Backups.State(ctx)
		if err == nil {
			err = j.Snapshot(ctx, state, seq)
		}
		if err != nil && ctx.Err() == nil {
			j.m.snapErrors.Inc()
			j.log.Error("alarm journal: automatic snapshot failed", "err", err)
		}
	}
}
