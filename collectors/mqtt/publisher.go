package mqtt

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"facmon/collectors"
	"facmon/internal/site"
)

// PublisherOptions configure a Publisher.
type PublisherOptions struct {
	// Client is a connected (or auto-reconnecting) client: the collector's
	// own, or a second one built with PahoFactory.
	Client Client
	// Site is the site id in facmon/<site>/... topics.
	Site       string
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Timeout bounds the wait for the broker's PUBACK (default 10 s).
	Timeout time.Duration
	// Names gives a device's name, kind and area (id and name) as the
	// site file writes them, for status messages; nil sends ids only.
	Names func(device string) DeviceNames

	metrics *metrics
}

// Publisher publishes facmon's own messages: device status, retained, on
// facmon/<site>/status/<device>, and alarm transitions (QoS 1) on
// facmon/<site>/alarm.
type Publisher struct {
	cl        Client
	site      string
	names     func(string) DeviceNames
	log       *slog.Logger
	timeout   time.Duration
	published *prometheus.CounterVec
}

// NewPublisher builds a Publisher on o.Client.
func NewPublisher(o PublisherOptions) *Publisher {
	p := &Publisher{cl: o.Client, site: o.Site, names: o.Names, log: o.Logger, timeout: orDefault(o.Timeout, 10*time.Second)}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.metrics != nil:
		p.published = o.metrics.published
	default:
		reg := o.Registerer
		if reg == nil {
			reg = prometheus.NewRegistry()
		}
		p.published = promauto.With(reg).NewCounterVec(prometheus.CounterOpts{Name: "facmon_mqtt_published_total",
			Help: "Messages facmon published (status, alarms), by result."}, []string{"result"})
	}
	return p
}

// StatusTopic is facmon/<site>/status/<device>.
func (p *Publisher) StatusTopic(device string) string {
	return fmt.Sprintf("facmon/%s/status/%s", p.site, device)
}

// AlarmTopic is facmon/<site>/alarm.
func (p *Publisher) AlarmTopic() string { return fmt.Sprintf("facmon/%s/alarm", p.site) }

// DeviceNames is how the site file names a device: what a reader at the
// group centre sees instead of ids.
type DeviceNames struct {
	Name     string `json:"name,omitempty"`
	Kind     string `json:"kind,omitempty"`
	Area     string `json:"area,omitempty"`
	AreaName string `json:"area_name,omitempty"`
}

// SiteNames looks a device up in s for PublisherOptions.Names.
func SiteNames(s *site.Site) func(string) DeviceNames {
	return func(device string) DeviceNames {
		d, ok := s.Device(device)
		if !ok {
			return DeviceNames{}
		}
		n := DeviceNames{Name: d.Name, Kind: d.Kind, Area: d.Area}
		if a, ok := s.Area(d.Area); ok {
			n.AreaName = a.Name
		}
		return n
	}
}

// StatusMessage is the JSON body of a device-status message.
type StatusMessage struct {
	Site   string `json:"site"`
	Device string `json:"device"`
	DeviceNames
	Status string    `json:"status"`
	Time   time.Time `json:"time"`
	Error  string    `json:"error,omitempty"`
}

// PublishStatus publishes a device's status, retained at QoS 1, so a
// client that subscribes later sees the current status at once.
func (p *Publisher) PublishStatus(ctx context.Context, device string, s collectors.DeviceStatus, at time.Time, lastErr string) error {
	m := StatusMessage{Site: p.site, Device: device, Status: s.String(), Time: at.UTC(), Error: lastErr}
	if p.names != nil {
		m.DeviceNames = p.names(device)
	}
	return p.PublishJSON(ctx, p.StatusTopic(device), 1, true, m)
}

// PublishJSON marshals v and publishes it, waiting for the broker's
// acknowledgement (QoS 1/2) until ctx ends or the timeout passes.
func (p *Publisher) PublishJSON(ctx context.Context, topic string, qos byte, retained bool, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("mqtt publish %q: %w", topic, err)
	}
	tok := p.cl.Publish(topic, qos, retained, body)
	t := time.NewTimer(p.timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		err = tok.Error()
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = fmt.Errorf("no acknowledgement within %s", p.timeout)
	}
	if err != nil {
		p.published.WithLabelValues("error").Inc()
		return fmt.Errorf("mqtt publish %q: %w", topic, err)
	}
	p.published.WithLabelValues("ok").Inc()
	return nil
}

// StatusSink is a collectors.Sink (for the fan-out) that publishes every
// device-status point it sees as a retained status message. It never
// fails the batch: a broker that is down only costs a logged error, the
// next change publishes the current status again.
func (p *Publisher) StatusSink() collectors.Sink {
	return collectors.SinkFunc(func(ctx context.Context, batch []collectors.Point) error {
		for _, pt := range batch {
			if pt.Signal != collectors.StatusSignal {
				continue
			}
			if err := p.PublishStatus(ctx, pt.Device, collectors.DeviceStatus(pt.Value), pt.Time, ""); err != nil {
				p.log.Warn("device status not published", "device", pt.Device, "err", err)
			}
		}
		return nil
	})
}
