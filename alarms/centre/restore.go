package centre

import (
	"context"
	"encoding/json"
	"fmt"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/journal"
)

// snapshotState is the centre's state in a journal snapshot: the board,
// each site's position and its site-offline alarm, as of journal seq Seq.
// The journal keeps its newest records only (a count cap); the snapshots
// keep a restart from fetching again what the dropped records held.
type snapshotState struct {
	Seq       uint64              `json:"seq"`
	Alarms    []alarms.Transition `json:"alarms"`
	Positions map[string]uint64   `json:"positions"`
	Offline   map[string]string   `json:"offline,omitempty"`
}

// setMark records, after a journal write, what a snapshot would cover.
func (c *Centre) setMark() {
	m := snapshotState{Seq: c.j.Last(), Positions: map[string]uint64{}, Offline: map[string]string{}}
	for id, s := range c.sites {
		m.Positions[id] = s.covered
		if s.offline != "" {
			m.Offline[id] = s.offline
		}
	}
	c.markMu.Lock()
	c.mark = m
	c.markMu.Unlock()
}

// snapshot is the journal's Backups.State: the mark with the board. The
// board may be a little ahead of the mark (Run goes on meanwhile); the
// records after the mark, replayed on restore, bring it to the same
// transitions again, which the board takes as they come.
func (c *Centre) snapshot(context.Context) ([]byte, uint64, error) {
	c.markMu.Lock()
	m := c.mark
	c.markMu.Unlock()
	for _, a := range c.board.Alarms(board.ListFilter{}) {
		m.Alarms = append(m.Alarms, a.Transition)
	}
	b, err := json.Marshal(m)
	return b, m.Seq, err
}

// restore brings back the board, each site's position (the highest site
// seq applied) and the site-offline alarms still raised: from the newest
// snapshot, then the journal's records after it.
func (c *Centre) restore() error {
	state, since, recs, err := c.j.Restore()
	if err != nil {
		return fmt.Errorf("centre journal restore: %w", err)
	}
	if state != nil {
		var m snapshotState
		if err := json.Unmarshal(state, &m); err != nil {
			return fmt.Errorf("centre journal restore: snapshot at seq %d: %w", since, err)
		}
		_ = c.board.Transitions(context.Background(), m.Alarms)
		for id, s := range c.sites {
			s.covered, s.offline = m.Positions[id], m.Offline[id]
		}
	}
	var ts []alarms.Transition
	for i := range recs {
		t, ok := transitionOf(&recs[i])
		if !ok {
			continue
		}
		ts = append(ts, t)
		s := c.sites[t.Site]
		if s == nil {
			continue
		}
		s.covered = max(s.covered, t.Seq)
		if t.Rule == SiteOfflineRule {
			s.offline = ""
			if t.Change == alarms.Raise {
				s.offline = t.ID
			}
		}
	}
	_ = c.board.Transitions(context.Background(), ts)
	c.setMark()
	c.log.Info("centre journal restored", "snapshot_seq", since, "records", len(recs), "transitions", len(ts))
	return nil
}

func transitionOf(r *journal.Record) (alarms.Transition, bool) {
	var t alarms.Transition
	if r.Type != journal.TypeTransition || json.Unmarshal(r.Payload, &t) != nil || t.ID == "" {
		return t, false
	}
	return t, true
}

// History answers the centre's history requests from its journal, newest
// first (board.HistorySource).
func (c *Centre) History(_ context.Context, q board.HistoryQuery) ([]alarms.Transition, bool, error) {
	if q.Limit <= 0 {
		q.Limit = board.DefaultHistoryLimit
	}
	recs, err := c.j.Range(q.From, q.To, journal.Filter{Types: []journal.Type{journal.TypeTransition}, Limit: c.j.Len() + 1})
	if err != nil {
		return nil, false, fmt.Errorf("centre history: %w", err)
	}
	var out []alarms.Transition
	for i := range recs {
		t, ok := transitionOf(&recs[i])
		if !ok || !q.Match(&t) || (q.BySeq && t.Seq <= q.AfterSeq) {
			continue
		}
		if len(out) == q.Limit {
			return out, true, nil
		}
		out = append(out, t)
	}
	return out, false, nil
}
