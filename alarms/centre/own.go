package centre

import (
	"context"
	"fmt"
	"time"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/journal"
)

// SiteOfflineRule is the rule name of the centre's own alarm for a site
// whose heartbeat fell silent or whose last-will said offline.
const SiteOfflineRule = "site-offline"

// ackReq asks Run to acknowledge one of the centre's own alarms.
type ackReq struct {
	id, user string
	done     chan error
}

// raiseOffline raises site-offline for s, once.
func (c *Centre) raiseOffline(ctx context.Context, s *siteState, now time.Time, why string) {
	if s.offline != "" {
		return
	}
	name := s.cfg.Name
	if name == "" {
		name = s.cfg.ID
	}
	t := alarms.Transition{
		ID: s.cfg.ID + ":" + alarms.AlarmID(SiteOfflineRule, s.cfg.ID, now), Rule: SiteOfflineRule, Site: s.cfg.ID,
		Kind: "site", Device: s.cfg.ID, Severity: alarms.Critical, Change: alarms.Raise,
		Message: fmt.Sprintf("小区 %s 与监控中心失联（%s）", name, offlineReason(why)),
		Time:    now, ActiveSince: now, From: alarms.Normal, To: alarms.ActiveUnacked,
	}
	s.offline = t.ID
	c.m.offline.Inc()
	c.own(ctx, t)
}

func offlineReason(why string) string {
	if why == "offline" {
		return "遗嘱消息：站点下线"
	}
	return "心跳超时"
}

// clearOffline clears the site-offline alarm of s, if raised.
func (c *Centre) clearOffline(ctx context.Context, s *siteState, now time.Time) {
	if s.offline == "" {
		return
	}
	prev := c.current(s.offline)
	t := prev
	t.Change, t.Time, t.From, t.By = alarms.Clear, now, prev.To, ""
	t.To = alarms.ClearedUnacked
	if prev.To == alarms.ActiveAcked {
		t.To = alarms.Normal
	}
	t.Message = prev.Message
	s.offline = ""
	c.m.offline.Dec()
	c.own(ctx, t)
}

// ackOwn acknowledges a centre alarm of s.
func (c *Centre) ackOwn(ctx context.Context, _ *siteState, r *ackReq) error {
	prev := c.current(r.id)
	if prev.ID == "" || (prev.To != alarms.ActiveUnacked && prev.To != alarms.ClearedUnacked) {
		return fmt.Errorf("alarm %q: %w", r.id, board.ErrNotAckable)
	}
	t := prev
	t.Change, t.Time, t.From, t.By = alarms.Ack, c.o.Clock(), prev.To, r.user
	t.To = alarms.ActiveAcked
	if prev.To == alarms.ClearedUnacked {
		t.To = alarms.Normal
	}
	return c.own(ctx, t)
}

// current is the board's latest transition of id (zero if none).
func (c *Centre) current(id string) alarms.Transition {
	for _, a := range c.board.Alarms(board.ListFilter{}) {
		if a.ID == id {
			return a.Transition
		}
	}
	return alarms.Transition{}
}

// own journals and shows one of the centre's own transitions.
func (c *Centre) own(ctx context.Context, t alarms.Transition) error {
	c.flush(ctx) // what came before it first
	if err := c.j.Transitions(ctx, []alarms.Transition{t}); err != nil {
		c.log.Error("centre journal: own alarm not recorded", "id", t.ID, "err", err)
		return err
	}
	c.setMark()
	c.output(ctx, []alarms.Transition{t})
	if c.o.Notifier != nil {
		if err := c.o.Notifier.Transitions(ctx, []alarms.Transition{t}); err != nil {
			c.log.Error("centre notify: own alarm not queued for sending", "id", t.ID, "change", t.Change, "err", err)
		}
	}
	return nil
}

// ownActive returns the centre's own alarms raised and not cleared (the
// site-offline alarms restored from the journal).
func (c *Centre) ownActive() []alarms.Transition {
	var out []alarms.Transition
	for _, id := range c.siteIDs() {
		if s := c.sites[id]; s.offline != "" {
			if t := c.current(s.offline); t.ID != "" && t.To.Active() {
				out = append(out, t)
			}
		}
	}
	return out
}

// record journals a system record.
func (c *Centre) record(ctx context.Context, user, action, subject, reason string) {
	r, err := journal.NewRecord(journal.TypeSystem, user, action, subject, reason, nil)
	if err == nil {
		_, err = c.j.Append(ctx, r)
	}
	if err != nil {
		c.log.Error("centre journal: record not written", "action", action, "err", err)
	}
}

func gapReason(after, next uint64) string {
	return fmt.Sprintf("transitions after seq %d and before %d could not be fetched from the site", after, next)
}
