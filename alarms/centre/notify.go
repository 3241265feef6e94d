package centre

import (
	"cmp"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms/notify"
	"facmon/alarms/notify/acklink"
	"facmon/internal/site"
)

// NotifyOptions build the notifier of the centre's own alarms.
type NotifyOptions struct {
	// DataDir holds the outbox (DataDir/outbox) unless the notify section
	// sets outbox_dir.
	DataDir string
	// Acker acknowledges from ack links (the Centre's Ack).
	Acker acklink.Acker
	// Now is the clock (time.Now if nil): the centre's own.
	Now        func() time.Time
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// NewNotify builds the notifier of the centre's own alarms (site-offline)
// from centre.yaml's notify section, with alarms/notify's machinery as a
// site has it — receivers (an Alertmanager cluster: every member in
// urls), routes, the durable outbox, resend, the resolve on clear — and
// each alert naming its own community. nil, nil when the section is
// absent. Pass Setup.Service as Options.Notifier and run it.
func NewNotify(cfg *Config, o NotifyOptions) (*notify.Setup, error) {
	if cfg.Notify == nil {
		return nil, nil
	}
	names := map[string]string{}
	for _, s := range cfg.Sites {
		names[s.ID] = cmp.Or(s.Name, s.ID)
	}
	st := &site.Site{ID: CentreID, Name: cfg.Name, Timezone: cfg.Location.String(), Location: cfg.Location, Notify: *cfg.Notify}
	ns, err := notify.NewSetup(notify.SetupOptions{Site: st, DataDir: o.DataDir, Acker: o.Acker, Now: o.Now,
		Names: notify.SiteNames(cfg.Name, cfg.Location, names), Registerer: o.Registerer, Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("centre notify: %w", err)
	}
	return ns, nil
}

// CentreID is the site label of what the centre sends about itself (the
// notify heartbeat).
const CentreID = "centre"
