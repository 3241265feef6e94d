package service

import "errors"

// ErrNoNotifiers: the site has no notifiers running to announce through.
var ErrNoNotifiers = errors.New("no notifiers running")

// Announce sends text (a report's summary and link) to the site's notify
// receivers named, through the current notifiers' outbox
// (notify.Service.Announce).
func (s *Service) Announce(id, text string, receivers []string, lang string) error {
	g := s.current()
	if g == nil || g.notify == nil {
		return ErrNoNotifiers
	}
	return g.notify.Service.Announce(id, text, receivers, lang)
}
