package journal

import (
	"fmt"
	"slices"
	"time"
)

// DefaultLimit bounds Range when Filter.Limit is 0.
const DefaultLimit = 1000

// Filter selects records for Range. Empty fields match everything.
type Filter struct {
	// Types keeps records of these types.
	Types []Type
	// User, Action and Subject keep records with exactly these values.
	User, Action, Subject string
	// Limit is the most records returned (DefaultLimit if 0).
	Limit int
}

func (f *Filter) match(r *Record) bool {
	return (f.User == "" || r.User == f.User) &&
		(f.Action == "" || r.Action == f.Action) &&
		(f.Subject == "" || r.Subject == f.Subject)
}

// Range returns the durable records with from <= Time < to (a zero bound
// is open) that match f, newest first, at most f.Limit of them.
func (j *Journal) Range(from, to time.Time, f Filter) ([]Record, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultLimit
	}
	lo, hi := int64(-1<<63), int64(1<<63-1)
	if !from.IsZero() {
		lo = from.UnixNano()
	}
	if !to.IsZero() {
		hi = to.UnixNano()
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	var out []Record
	for i := len(j.segs) - 1; i >= 0 && len(out) < f.Limit; i-- {
		s := j.segs[i]
		for k := len(s.entries) - 1; k >= 0 && len(out) < f.Limit; k-- {
			e := s.entries[k]
			if e.seq > j.durable || e.time < lo || e.time >= hi || (len(f.Types) > 0 && !slices.Contains(f.Types, e.typ)) {
				continue
			}
			r, err := j.readEntry(s, e)
			if err != nil {
				return out, err
			}
			if f.match(&r) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// Since returns the durable records after seq, oldest first: what to
// replay on top of a snapshot that covers seq.
func (j *Journal) Since(seq uint64) ([]Record, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	var out []Record
	for _, s := range j.segs {
		for _, e := range s.entries {
			if e.seq <= seq || e.seq > j.durable {
				continue
			}
			r, err := j.readEntry(s, e)
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// readEntry reads and decodes one indexed record.
func (j *Journal) readEntry(s *segment, e entry) (Record, error) {
	buf := make([]byte, frameHeader+int(e.size))
	if _, err := s.f.ReadAt(buf, e.off); err != nil {
		return Record{}, fmt.Errorf("journal %s: %s byte %d: %w", j.dir, segName(s.first), e.off, err)
	}
	p, ok := frameAt(buf, 0)
	if !ok {
		return Record{}, fmt.Errorf("journal %s: %s byte %d: record %d fails its CRC", j.dir, segName(s.first), e.off, e.seq)
	}
	r, _, err := decodeRecord(p)
	if err != nil {
		return Record{}, fmt.Errorf("journal %s: %s byte %d: record %d: %w", j.dir, segName(s.first), e.off, e.seq, err)
	}
	return r, nil
}

// linkAt returns the hash that record seq+1 carries as prev (the hash of
// record seq), if the journal still knows it.
func (j *Journal) linkAt(seq uint64) (Hash, bool) {
	if seq+1 == j.next.seq {
		return j.next.hash, true
	}
	for _, s := range j.segs {
		if s.head.seq == seq+1 {
			return s.head.hash, true
		}
		for _, e := range s.entries {
			if e.seq == seq+1 {
				r, err := j.readEntry(s, e)
				return r.Prev, err == nil
			}
		}
	}
	return Hash{}, false
}
