package notify

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms"
	"facmon/alarms/notify/acklink"
	"facmon/internal/site"
)

// SetupOptions are what the service needs from main.
type SetupOptions struct {
	Site *site.Site
	// DataDir holds the outbox (DataDir/outbox) unless the site file sets
	// notify.outbox_dir.
	DataDir string
	// Acker acknowledges from the links as the duty person; nil: links
	// answer that acknowledging is unavailable.
	Acker      acklink.Acker
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Names are what messages name ids with; nil: NamesOf(Site).
	Names *Names
}

// Setup is a ready notifier: Service is the alarms.Output to add to the
// dispatcher and to Run; AckHandler is mounted at "/ack/" (nil when the site
// has no public_url or ack key); Close releases the ack-link store after
// Run returned.
type Setup struct {
	Service    *Service
	AckHandler http.Handler
	store      *acklink.Store
}

// NewSetup builds the notifiers, the service and the ack-link handler of a
// loaded site.
func NewSetup(o SetupOptions) (*Setup, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	n := &o.Site.Notify
	dir := n.OutboxDir
	if dir == "" {
		dir = filepath.Join(o.DataDir, "outbox")
	}
	built, err := Build(n, &http.Client{}, o.Now)
	if err != nil {
		return nil, err
	}
	st := &Setup{}
	var links *acklink.Signer
	if n.PublicURL != "" && n.AckSecret != "" {
		links = &acklink.Signer{Key: []byte(n.AckSecret.Reveal()), Base: n.PublicURL, TTL: n.AckLinkTTL.Std()}
		if st.store, err = acklink.OpenStore(dir, o.Now()); err != nil {
			return nil, err
		}
		st.AckHandler = acklink.NewHandler(acklink.HandlerOptions{Key: links.Key, Store: st.store, Acker: ackerOrNone(o.Acker),
			Now: o.Now, Logger: o.Logger, Registerer: o.Registerer})
	}
	names := o.Names
	if names == nil {
		names = NamesOf(o.Site)
	}
	st.Service, err = New(Options{Notify: n, SiteID: o.Site.ID, Location: o.Site.Location, Names: names, Receivers: built.Receivers,
		Resend: built.Resend, OutboxDir: dir, Links: links, Now: o.Now, Logger: o.Logger, Registerer: o.Registerer})
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// Close closes the ack-link store.
func (s *Setup) Close() error {
	if s.store == nil {
		return nil
	}
	return s.store.Close()
}

// noAcker refuses every acknowledgement.
type noAcker struct{}

// Ack refuses.
func (noAcker) Ack(_ context.Context, id, user string, at time.Time) error {
	return errors.New("acknowledging from links is not wired in this facmon")
}

// ackerOrNone returns a, or an Acker that refuses.
func ackerOrNone(a acklink.Acker) acklink.Acker {
	if a == nil {
		return noAcker{}
	}
	return a
}

// Resume takes the alarms active at start (from the engine's restored
// state) as already notified: their clear will send the recovery notice,
// Alertmanager refreshes include them, and unacknowledged ones that
// escalate start a fresh deadline from now (level 1 is taken as told).
func (s *Service) Resume(active []alarms.Transition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now()
	for i := range active {
		t := &active[i]
		if !t.To.Active() || t.Hold != alarms.NotHeld {
			continue
		}
		a := &alarm{alert: s.alert(t), plan: s.router.Match(t.Severity.String(), t.Kind, t.Area), sev: t.Severity.String(), sent: true}
		s.active[t.ID] = a
		if a.plan.Duty {
			a.people = s.roster.OnDuty(now, 1)
			if t.To == alarms.ActiveUnacked {
				s.esc.Start(t.ID, t.Rule, a.sev, now)
			}
		}
	}
	if len(active) > 0 {
		s.o.Logger.Info("notify: resumed active alarms", "count", len(s.active))
	}
}
