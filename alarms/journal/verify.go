package journal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Report is the result of a verification.
type Report struct {
	Dir      string `json:"dir"`
	Segments int    `json:"segments"`
	Records  int    `json:"records"`
	// First and Last are the seqs of the oldest and newest records.
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
	Bytes int64  `json:"bytes"`
	// TornBytes is a torn append at the end of the newest segment (a crash
	// mid-append, never acknowledged): cut on the next Open, not a break.
	TornBytes int64 `json:"torn_bytes,omitempty"`
	// Broken is the first break of the chain; nil if the journal is intact.
	Broken *Break `json:"broken,omitempty"`
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return r.Broken == nil }

// Verify checks the journal in dir without changing it: the anchor,
// segment headers, framing and CRCs, sequence continuity, the hash chain,
// and that the newest valid snapshot does not cover records the journal no
// longer has (records removed from its end). It may run while a facmon
// appends to the journal. err is set only when dir cannot be read.
func Verify(dir string) (Report, error) {
	s, err := scanRetry(dir, Head{})
	if err != nil {
		return Report{Dir: dir}, err
	}
	r := s.report(dir)
	if r.Broken == nil {
		r.Broken = checkSnapshots(filepath.Join(dir, snapDir), s.next.seq-1)
	}
	return r, nil
}

func (s *scan) report(dir string) Report {
	r := Report{Dir: dir, Segments: len(s.segs), Records: s.records, Bytes: s.bytes, Broken: s.brk}
	for _, sg := range s.segs {
		if len(sg.entries) > 0 {
			if r.First == 0 {
				r.First = sg.entries[0].seq
			}
			r.Last = sg.entries[len(sg.entries)-1].seq
		}
		if sg.torn {
			r.TornBytes = sg.size - sg.end
		}
	}
	return r
}

// checkSnapshots returns a break if the newest valid snapshot covers a
// record after last.
func checkSnapshots(dir string, last uint64) *Break {
	seqs, err := listSnapshots(dir)
	if err != nil {
		return nil
	}
	for _, seq := range seqs {
		b, err := os.ReadFile(filepath.Join(dir, snapName(seq)))
		if err != nil {
			continue
		}
		snap, ok := decodeSnapshot(b)
		if !ok || snap.seq != seq {
			continue
		}
		if seq > last {
			return &Break{Seq: last + 1, Segment: filepath.Join(snapDir, snapName(seq)),
				Reason: fmt.Sprintf("snapshot covers record %d but the journal ends at record %d: records removed from the end", seq, last)}
		}
		return nil
	}
	return nil
}

// Verify verifies the open journal's files (appends wait meanwhile) and
// sets facmon_journal_chain_ok.
func (j *Journal) Verify() (Report, error) {
	j.mu.RLock()
	r, err := Verify(j.dir)
	j.mu.RUnlock()
	if err != nil {
		return r, err
	}
	j.m.chain(r.OK())
	if !r.OK() {
		j.log.Error("alarm journal integrity chain broken", "dir", j.dir, "break", r.Broken.String())
	}
	return r, nil
}

// verifyLoop re-verifies the journal every VerifyInterval.
func (j *Journal) verifyLoop(ctx context.Context) {
	for sleep(ctx, j.o.VerifyInterval) {
		if _, err := j.Verify(); err != nil {
			j.log.Error("alarm journal: verify", "err", err)
		}
	}
}
