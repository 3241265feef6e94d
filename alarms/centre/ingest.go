package centre

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"facmon/alarms"
	"facmon/alarms/uplink"
)

// event is what reaches Run: a transition or heartbeat from the broker,
// or the answer of a gap fetch.
type event struct {
	site   string
	tr     *alarms.Transition
	beat   *uplink.Heartbeat
	filled *fetched
	ack    *ackReq
	status *statusMsg
	// link is the centre's own connection to the central broker coming
	// up (true, subscribed) or going down (false); site is empty.
	link *bool
}

// siteState is what the centre knows of one site; only Run touches it.
type siteState struct {
	cfg *Site
	// covered is the journal seq up to which every transition of the site
	// has been applied, in order.
	covered uint64
	// pending are transitions received past a gap, by seq.
	pending map[uint64]alarms.Transition
	// gapSince is when the oldest pending transition arrived.
	gapSince time.Time
	fetching bool
	// beatSeq is the site's journal head in its last heartbeat.
	beatSeq  uint64
	lastBeat time.Time
	offline  string // the id of the site-offline alarm while raised
}

// handle applies one event.
func (c *Centre) handle(ctx context.Context, wg *sync.WaitGroup, ev event) {
	if ev.link != nil {
		c.linkChanged(*ev.link)
		return
	}
	s := c.sites[ev.site]
	if s == nil {
		c.m.unknown.Inc()
		return
	}
	switch {
	case ev.tr != nil:
		c.received(ctx, s, *ev.tr)
	case ev.beat != nil:
		c.heartbeat(ctx, s, ev.beat)
	case ev.filled != nil:
		c.fill(ctx, s, ev.filled)
	case ev.ack != nil:
		ev.ack.done <- c.ackOwn(ctx, s, ev.ack)
	case ev.status != nil:
		c.deviceStatus(s, ev.status)
	}
	c.fetchIfBehind(ctx, wg, s)
}

// received takes a transition from the broker: a duplicate is dropped, the
// next in order applied, one past a gap kept until the gap is filled.
func (c *Centre) received(ctx context.Context, s *siteState, t alarms.Transition) {
	if t.Seq <= s.covered {
		c.m.transitions.WithLabelValues("duplicate").Inc()
		return
	}
	if len(s.pending) == 0 {
		s.gapSince = c.o.Clock()
	}
	s.pending[t.Seq] = t
	c.drain(ctx, s)
}

// drain applies pending transitions while they follow on without a gap.
func (c *Centre) drain(ctx context.Context, s *siteState) {
	for {
		t, ok := s.pending[s.covered+1]
		if !ok {
			return
		}
		delete(s.pending, t.Seq)
		c.apply(ctx, s, []alarms.Transition{t})
		if len(s.pending) > 0 {
			s.gapSince = c.o.Clock()
		}
	}
}

// heartbeat records a site's heartbeat: the site-offline alarm clears on
// an online one and is raised at once by an offline one (the last-will).
func (c *Centre) heartbeat(ctx context.Context, s *siteState, hb *uplink.Heartbeat) {
	now := c.o.Clock()
	if !hb.Online {
		c.raiseOffline(ctx, s, now, "offline")
		return
	}
	s.lastBeat, s.beatSeq = now, max(s.beatSeq, hb.Seq)
	c.clearOffline(ctx, s, now)
}

// fetchIfBehind starts a gap fetch when transitions wait past a gap or the
// heartbeat says the site has journaled past what was applied.
func (c *Centre) fetchIfBehind(ctx context.Context, wg *sync.WaitGroup, s *siteState) {
	if s.fetching || (len(s.pending) == 0 && s.beatSeq <= s.covered) {
		return
	}
	s.fetching = true
	after, target := s.covered, s.beatSeq
	for _, t := range s.pending {
		target = max(target, t.Seq)
	}
	wg.Go(func() {
		f := c.fetch(ctx, s.cfg, after, target)
		select {
		case c.in <- event{site: s.cfg.ID, filled: f}:
		case <-ctx.Done():
		}
	})
}

// fill applies a fetch's answer: the transitions it brought and those
// pending, in seq order, each once.
func (c *Centre) fill(ctx context.Context, s *siteState, f *fetched) {
	s.fetching = false
	if f.err != nil {
		c.m.fetches.WithLabelValues("failed").Inc()
		c.log.Warn("gap fetch failed", "site", s.cfg.ID, "after_seq", f.after, "err", f.err)
		return
	}
	c.m.fetches.WithLabelValues("ok").Inc()
	var ts []alarms.Transition
	for _, t := range f.ts {
		if t.Seq > s.covered {
			delete(s.pending, t.Seq)
			ts = append(ts, t)
		}
	}
	if len(ts) > 0 {
		c.m.filled.Add(float64(len(ts)))
		c.apply(ctx, s, ts)
	}
	if !f.more {
		// Everything the site journaled up to target was durable when the
		// fetch began, so every transition up to it is now applied.
		s.covered = max(s.covered, f.target)
		for seq := range s.pending {
			if seq <= s.covered {
				delete(s.pending, seq)
			}
		}
	}
	c.drain(ctx, s)
}

// linkChanged records the centre's own link to the central broker. While
// it is down every site falls silent at once, which says nothing of the
// sites: no site-offline is raised for silence then, and a site's silence
// counts from the link's return at the earliest (the retained heartbeats
// arrive with the subscription; a last-will still raises at once).
func (c *Centre) linkChanged(up bool) {
	if up == c.linkUp {
		return
	}
	c.linkUp, c.linkSince = up, c.o.Clock()
	if up {
		c.m.linkUp.Set(1)
		return
	}
	c.m.linkUp.Set(0)
	c.log.Warn("centre lost the central broker: site-offline by silence is held until it is back", "url", c.cfg.Broker.URL)
}

// silent reports whether s has sent no heartbeat for its offline_after,
// counted from the centre's own link's return at the earliest.
func (c *Centre) silent(s *siteState, now time.Time) bool {
	if !c.linkUp {
		return false
	}
	since := s.lastBeat
	if c.linkSince.After(since) {
		since = c.linkSince
	}
	return now.Sub(since) > c.cfg.offlineAfter(s.cfg)
}

// check raises site-offline for silent sites and, after GapTimeout, shows
// the transitions held behind a gap that could not be filled.
func (c *Centre) check(ctx context.Context, wg *sync.WaitGroup, now time.Time) {
	for _, id := range c.siteIDs() {
		s := c.sites[id]
		if c.silent(s, now) {
			c.raiseOffline(ctx, s, now, "silent")
		}
		if len(s.pending) > 0 && !s.fetching && now.Sub(s.gapSince) > time.Duration(c.cfg.GapTimeout) {
			c.skipGap(ctx, s)
		}
		c.fetchIfBehind(ctx, wg, s)
	}
}

func (c *Centre) siteIDs() []string {
	ids := make([]string, 0, len(c.sites))
	for id := range c.sites {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// skipGap gives up on a gap: it is journaled, and the transitions after it
// are applied in order.
func (c *Centre) skipGap(ctx context.Context, s *siteState) {
	seqs := make([]uint64, 0, len(s.pending))
	for seq := range s.pending {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	c.m.gapsSkipped.Inc()
	c.log.Error("gap not filled in time: showing what followed it", "site", s.cfg.ID, "after_seq", s.covered, "next_seq", seqs[0])
	c.record(ctx, "centre", "gap-skipped", s.cfg.ID, gapReason(s.covered, seqs[0]))
	ts := make([]alarms.Transition, 0, len(seqs))
	for _, seq := range seqs {
		ts = append(ts, s.pending[seq])
		delete(s.pending, seq)
	}
	c.apply(ctx, s, ts)
}

// apply takes transitions of a site (in seq order) into the batch and
// moves the site's position on; flush journals and shows them.
func (c *Centre) apply(_ context.Context, s *siteState, ts []alarms.Transition) {
	for i := range ts {
		ts[i].Site = s.cfg.ID
		ts[i].ID = s.cfg.ID + ":" + ts[i].ID
		s.covered = max(s.covered, ts[i].Seq)
	}
	c.m.transitions.WithLabelValues("applied").Add(float64(len(ts)))
	c.batch = append(c.batch, ts...)
}

// flush journals the batch in one write, then hands it to the board and
// the event stream.
func (c *Centre) flush(ctx context.Context) {
	if len(c.batch) == 0 {
		return
	}
	ts := c.batch
	c.batch = nil
	if err := c.j.Transitions(ctx, ts); err != nil {
		c.log.Error("centre journal: transitions not recorded", "count", len(ts), "err", err)
	}
	c.setMark()
	c.output(ctx, ts)
}

// output hands transitions to the board, the event stream and the map.
func (c *Centre) output(ctx context.Context, ts []alarms.Transition) {
	_ = c.board.Transitions(ctx, ts)
	_ = c.hub.Transitions(ctx, ts)
}

// decodeMessage turns a broker message into an event.
func decodeMessage(topic string, payload []byte) (event, bool) {
	parts := strings.Split(topic, "/")
	if len(parts) == 4 && parts[0] == "facmon" && parts[2] == "status" {
		m, ok := decodeStatus(parts[1], parts[3], payload)
		return event{site: parts[1], status: m}, ok
	}
	if len(parts) != 3 || parts[0] != "facmon" {
		return event{}, false
	}
	ev := event{site: parts[1]}
	switch parts[2] {
	case "alarm":
		var t alarms.Transition
		if json.Unmarshal(payload, &t) != nil || t.ID == "" || t.Seq == 0 {
			return event{}, false
		}
		ev.tr = &t
	case "heartbeat":
		var hb uplink.Heartbeat
		if json.Unmarshal(payload, &hb) != nil || (hb.Site != "" && hb.Site != parts[1]) {
			return event{}, false
		}
		ev.beat = &hb
	default:
		return event{}, false
	}
	return ev, true
}
