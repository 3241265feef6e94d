package centre

import (
	"context"
	"encoding/json"
	"fmt"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/journal"
)

// restore replays the centre's journal: the board, each site's position
// (the highest site seq applied) and the site-offline alarms still raised.
func (c *Centre) restore() error {
	recs, err := c.j.Since(0)
	if err != nil {
		return fmt.Errorf("centre journal restore: %w", err)
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
	c.log.Info("centre journal restored", "records", len(recs), "transitions", len(ts))
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
