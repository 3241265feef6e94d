package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/journal"
	"facmon/alarms/lifecycle"
)

// Mount registers the whole alarm API with handle (internal/web's Handle,
// behind the console's guard): the board and history, ack, the lifecycle
// and zone actions, the event stream and the ack links of the
// notifications.
func (s *Service) Mount(handle func(pattern string, h http.Handler)) {
	s.board.Mount(handle)
	s.api.Mount(handle)
	handle("GET /api/v1/events", s.hub)
	handle("/ack/", http.HandlerFunc(s.serveAckLink))
}

// serveAckLink serves a notification's ack link with the current
// notifiers' handler (none without a public URL and an ack secret).
func (s *Service) serveAckLink(w http.ResponseWriter, r *http.Request) {
	g := s.current()
	if g == nil || g.notify == nil || g.notify.AckHandler == nil {
		http.NotFound(w, r)
		return
	}
	g.notify.AckHandler.ServeHTTP(w, r)
}

// Ack acknowledges alarm id on behalf of user, directly: a linkage-failure
// alarm in the lifecycle, any other in the engine, whose transition the
// lifecycle journals before it returns; an earlier occurrence of a
// chattering point, which the engine no longer tracks, in the lifecycle. It fails (board.ErrNotAckable)
// if no such alarm awaits acknowledgement, and if the ack was not
// journaled. The board, the console and the phones' ack links call it.
func (s *Service) Ack(ctx context.Context, id, user string, _ time.Time) error {
	if ok, err := s.life.AckEvent(ctx, id, user); ok {
		if errors.Is(err, lifecycle.ErrConflict) {
			return fmt.Errorf("alarm %q: %w", id, board.ErrNotAckable)
		}
		return err
	}
	if _, ok := s.runner.Ack(ctx, id, user); !ok {
		if ok, err := s.life.AckCleared(ctx, id, user); ok {
			return err
		}
		return fmt.Errorf("alarm %q: %w", id, board.ErrNotAckable)
	}
	if s.life.AwaitsAck(id) {
		return fmt.Errorf("alarm %q: acknowledgement not journaled", id)
	}
	return nil
}

// historyTypes are the journal records that carry an alarm transition:
// the engine's (raise, clear, ack) and the operators' actions on alarms.
var historyTypes = []journal.Type{journal.TypeTransition, journal.TypeAction}

// History answers a history request from the journal: every transition
// and alarm action it holds (zone actions and linkage writes are not
// alarm transitions), newest first, those that match q, at most q.Limit,
// and whether more matched (a Limit of 0 is every record the journal
// keeps). It survives restarts and kill -9 as the journal does. It reads
// the newest records first, four times as many each round, until enough
// match or the journal is read to its start.
func (s *Service) History(_ context.Context, q board.HistoryQuery) ([]alarms.Transition, bool, error) {
	if q.Limit <= 0 {
		q.Limit = s.o.JournalRecords
	}
	if q.BySeq {
		return s.historyAfter(&q)
	}
	all := s.journal.Len()
	for n := q.Limit + 1; ; n = min(4*n, all+1) {
		recs, err := s.journal.Range(q.From, q.To, journal.Filter{Types: historyTypes, Limit: n})
		if err != nil {
			return nil, false, fmt.Errorf("alarm history: %w", err)
		}
		out, more := matching(recs, &q)
		if more || len(recs) < n || n > all {
			return out, more, nil
		}
	}
}

// historyAfter answers ?after_seq=N: the transitions journaled after N
// that match q, oldest first, at most q.Limit, and whether more follow.
// Each carries its journal seq, so the caller asks next for after_seq of
// the last one.
func (s *Service) historyAfter(q *board.HistoryQuery) ([]alarms.Transition, bool, error) {
	recs, err := s.journal.Since(q.AfterSeq)
	if err != nil {
		return nil, false, fmt.Errorf("alarm history after seq %d: %w", q.AfterSeq, err)
	}
	var out []alarms.Transition
	for i := range recs {
		if !slices.Contains(historyTypes, recs[i].Type) || !maybe(recs[i].Subject, q) {
			continue
		}
		t, ok := transitionOf(&recs[i])
		if !ok || !q.Match(&t) {
			continue
		}
		if len(out) == q.Limit {
			return out, true, nil
		}
		out = append(out, t)
	}
	return out, false, nil
}

// matching decodes the records that match q, at most q.Limit, and says
// whether more matched.
func matching(recs []journal.Record, q *board.HistoryQuery) ([]alarms.Transition, bool) {
	out := make([]alarms.Transition, 0, min(len(recs), q.Limit))
	for i := range recs {
		if !maybe(recs[i].Subject, q) {
			continue
		}
		t, ok := transitionOf(&recs[i])
		if !ok || !q.Match(&t) {
			continue
		}
		if len(out) == q.Limit {
			return out, true
		}
		out = append(out, t)
	}
	return out, false
}

// maybe is a cheap test on an alarm id (rule/device/raise ms) that lets
// records of other rules and devices be skipped before their payload is
// decoded; Match decides.
func maybe(id string, q *board.HistoryQuery) bool {
	return someOf(q.Rule, func(r string) bool { return strings.HasPrefix(id, r+"/") }) &&
		someOf(q.Device, func(d string) bool { return strings.Contains(id, "/"+d+"/") })
}

func someOf(vs []string, f func(string) bool) bool {
	if len(vs) == 0 {
		return true
	}
	return slices.ContainsFunc(vs, f)
}

// transitionOf decodes the transition a record carries; ok is false for
// records that carry none (zone actions).
func transitionOf(r *journal.Record) (alarms.Transition, bool) {
	var t alarms.Transition
	if err := json.Unmarshal(r.Payload, &t); err != nil || t.ID == "" || t.Change == 0 {
		return t, false
	}
	t.Seq = r.Seq
	return t, true
}
