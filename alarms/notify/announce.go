package notify

import (
	"fmt"
	"slices"
)

// Announce queues an announcement to receivers through the outbox, so it
// is retried like any message and survives a restart: the daily or
// weekly report's summary with its link (alarms/report). id names what is
// announced (report/2026-12-05): announcing it again to a receiver is the
// same message, which the outbox and the receivers drop as a duplicate.
// lang is the message's language ("zh" unless "en").
func (s *Service) Announce(id, text string, receivers []string, lang string) error {
	for _, r := range receivers {
		if _, ok := s.queues[r]; !ok {
			return fmt.Errorf("notify: announce %s: receiver %q not defined under notify.receivers", id, r)
		}
	}
	if lang != "en" {
		lang = "zh"
	}
	s.mu.Lock()
	now := s.o.Now()
	a := Alert{ID: id, Rule: "facmon-report", Site: s.o.SiteID, Severity: "warning", Message: text, StartsAt: now}
	s.o.Names.describe(&a)
	msgs := make([]Message, 0, len(receivers))
	for _, r := range slices.Compact(slices.Clone(receivers)) {
		msgs = append(msgs, Message{ID: msgID(string(Report), r, id), Receiver: r, Event: Report,
			Alerts: localized([]Alert{a}, lang), Count: 1, Lang: lang, Created: now})
	}
	err := s.enqueue(msgs)
	s.mu.Unlock()
	select {
	case s.poke <- struct{}{}:
	default:
	}
	return err
}
