package journal

import (
	"context"
	"fmt"
	"os"
	"time"

	"facmon/internal/durable"
)

// Append journals recs, in order, and returns the seq of the last one once
// they are fsync'd; only then may the caller acknowledge the action.
// Appends made while an fsync is running share the next one (group
// commit). The journal sets each record's Seq, Prev and Hash, and its Time
// if zero. On error the records may or may not be in the journal; they
// count as not recorded.
func (j *Journal) Append(ctx context.Context, recs ...Record) (uint64, error) {
	if len(recs) == 0 {
		return j.Last(), nil
	}
	for i := range recs {
		if err := recs[i].check(); err != nil {
			return 0, fmt.Errorf("journal append: record %d (%s %s): %w", i, recs[i].Action, recs[i].Subject, err)
		}
	}
	start := time.Now()
	g, last, err := j.write(recs)
	if err != nil {
		return 0, err
	}
	j.syncer.Kick()
	select {
	case <-g.Done():
	case <-ctx.Done():
		return 0, fmt.Errorf("journal append: %w", ctx.Err())
	}
	if err := g.Err(); err != nil {
		return 0, err
	}
	j.m.append.Observe(time.Since(start).Seconds())
	return last, nil
}

// write encodes recs onto the newest segment and returns the group commit
// that will make them durable.
func (j *Journal) write(recs []Record) (*durable.Group, uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return nil, 0, ErrClosed
	case j.err != nil:
		return nil, 0, j.err
	}
	if j.full() {
		if err := j.roll(); err != nil {
			j.err = fmt.Errorf("journal %s: new segment: %w", j.dir, err)
			return nil, 0, j.err
		}
	}
	seg := j.active()
	buf, ents, next := j.encode(recs, seg.size)
	if _, err := seg.f.Write(buf); err != nil {
		// A short write leaves a torn frame: never write after it.
		j.err = fmt.Errorf("journal %s: write %s: %w", j.dir, segName(seg.first), err)
		return nil, 0, j.err
	}
	seg.size += int64(len(buf))
	seg.entries = append(seg.entries, ents...)
	j.records += len(ents)
	j.bytes += int64(len(buf))
	j.next = next
	j.updateMetrics()
	return j.pending.Join(), j.next.seq - 1, nil
}

// encode frames recs as the continuation of the chain; off is where the
// first frame will be written. It returns the frames, their index entries
// and the chain's new end.
func (j *Journal) encode(recs []Record, off int64) ([]byte, []entry, link) {
	buf := j.buf[:0]
	ents := make([]entry, 0, len(recs))
	l := j.next
	var body []byte
	for _, r := range recs {
		r.Seq, r.Prev = l.seq, l.hash
		if r.Time.IsZero() {
			r.Time = j.o.Now()
		}
		body = r.encode(body[:0])
		ents = append(ents, entry{seq: r.Seq, time: r.Time.UnixNano(), typ: r.Type, off: off + int64(len(buf)), size: uint32(len(body))})
		buf = appendFrame(buf, body)
		l = link{seq: r.Seq + 1, hash: r.Hash}
	}
	if cap(buf) <= 1<<20 {
		j.buf = buf
	}
	return buf, ents, l
}

// full reports whether the newest segment has reached its size.
func (j *Journal) full() bool {
	s := j.active()
	return len(s.entries) >= j.o.SegmentRecords || s.size >= j.o.SegmentBytes
}

// roll fsyncs the newest segment and starts the next; the syncer applies
// the caps after its next fsync, outside the appenders' way. The fsync
// comes first so that only the newest segment can ever end in a torn
// frame.
func (j *Journal) roll() error {
	if err := j.active().f.Sync(); err != nil {
		return err
	}
	if err := j.startSegment(); err != nil {
		return err
	}
	j.capsDue = true
	return nil
}

// capPlan returns how many of the oldest segments the caps drop: while
// the rest still hold MaxRecords, or while the journal is over MaxBytes.
// The newest segment is never dropped.
func (j *Journal) capPlan() int {
	drop, recs, bytes := 0, j.records, j.bytes
	for drop < len(j.segs)-1 {
		s := j.segs[drop]
		if recs-len(s.entries) < j.o.MaxRecords && bytes <= j.o.MaxBytes {
			break
		}
		recs -= len(s.entries)
		bytes -= s.size
		drop++
	}
	return drop
}

// applyCaps drops the oldest segments the caps allow. One applyCaps runs
// at a time (capMu) and older segments never change, so the plan made
// under the lock still holds after the anchor was written without it. The anchor is
// written before the files are removed: a crash in between leaves
// segments that the next Open removes.
func (j *Journal) applyCaps() {
	j.capMu.Lock()
	defer j.capMu.Unlock()
	j.mu.Lock()
	j.capsDue = false
	drop := j.capPlan()
	var anchor link
	if drop > 0 {
		anchor = j.segs[drop].head
	}
	j.mu.Unlock()
	if drop == 0 {
		return
	}
	if err := writeAnchor(j.dir, anchor); err != nil {
		j.log.Error("alarm journal cap: cannot write the anchor; keeping the oldest segments", "err", err)
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.anchor = anchor
	for _, s := range j.segs[:drop] {
		if err := os.Remove(j.segPath(s.first)); err != nil {
			j.log.Error("alarm journal cap: remove segment", "segment", segName(s.first), "err", err)
		}
		j.closing = append(j.closing, s.f)
		j.records -= len(s.entries)
		j.bytes -= s.size
		j.m.dropped.Add(float64(len(s.entries)))
	}
	j.segs = j.segs[drop:]
	if j.records < j.o.MaxRecords {
		j.log.Warn("alarm journal: the size cap dropped records below the count cap", "records", j.records, "max_records", j.o.MaxRecords, "max_bytes", j.o.MaxBytes)
	}
	j.updateMetrics()
}

// sleep waits d (nothing if d <= 0); false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// syncOnce fsyncs the newest segment for the pending group and releases
// its appenders. Older segments were fsync'd when they were rolled.
func (j *Journal) syncOnce() error {
	j.mu.Lock()
	g := j.pending.Take()
	closing := j.closing
	j.closing = nil
	f := j.active().f
	upto := j.next.seq - 1
	j.mu.Unlock()
	for _, c := range closing {
		c.Close()
	}
	if g == nil {
		return nil
	}
	err := f.Sync()
	j.mu.Lock()
	if err != nil {
		err = fmt.Errorf("journal %s: fsync: %w", j.dir, err)
		j.log.Error("alarm journal fsync failed; no more appends until restart", "err", err)
		if j.err == nil {
			j.err = err
		}
	} else if upto > j.durable {
		j.durable = upto
	}
	caps := j.capsDue && err == nil
	j.mu.Unlock()
	g.Release(err)
	if caps {
		j.applyCaps()
	}
	return err
}
