package journal

import (
	"fmt"
	"path/filepath"
)

// Head is the journal's newest durable record: its seq and hash. facmon
// publishes it as it moves (retained on MQTT, a point in InfluxDB), outside
// the data directory, so that a removed, cut or damaged newest record can
// be told from a torn append: the witness saw it acknowledged.
type Head struct {
	Seq  uint64 `json:"seq"`
	Hash Hash   `json:"hash"`
}

// Head returns the newest durable record's seq and hash (zero if none).
func (j *Journal) Head() Head {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.durable == 0 {
		return Head{}
	}
	h, ok := j.linkAt(j.durable)
	if !ok {
		return Head{}
	}
	return Head{Seq: j.durable, Hash: h}
}

// VerifyWitness is Verify against a witness: the newest head published
// while facmon ran. Every record up to w.Seq was acknowledged, so the files
// must hold it with w.Hash; a newest record whose frame is complete but
// fails its checksum is a break, not a torn tail, when w covers it.
func VerifyWitness(dir string, w Head) (Report, error) {
	s, err := scanRetry(dir, w)
	if err != nil {
		return Report{Dir: dir}, err
	}
	r := s.report(dir)
	if r.Broken == nil {
		r.Broken = s.witnessBreak(w)
	}
	if r.Broken == nil {
		r.Broken = checkSnapshots(filepath.Join(dir, snapDir), s.next.seq-1)
	}
	return r, nil
}

// witnessBreak compares the scanned chain with the witness.
func (s *scan) witnessBreak(w Head) *Break {
	switch {
	case w.Seq == 0:
		return nil
	case s.lastSeq < w.Seq:
		return &Break{Seq: s.lastSeq + 1, Segment: "witness", Reason: fmt.Sprintf(
			"the journal ends at record %d but the witness saw record %d (hash %.12s…) acknowledged: records removed or cut from the end",
			s.lastSeq, w.Seq, w.Hash)}
	case s.witnessSeen && s.witnessHash != w.Hash:
		return &Break{Seq: w.Seq, Segment: "witness", Reason: fmt.Sprintf(
			"record %d has hash %.12s…, the witness saw %.12s…: record edited", w.Seq, s.witnessHash, w.Hash)}
	}
	return nil
}
