// Package selfcheck is facmon watching itself (篇3·二十二·6 系统自检): every
// second it turns the health of its own pipeline into points of the
// built-in devices "facmon" and "mqtt-broker" (internal/site.AddSelf), so
// that the rule engine raises supervision alarms — on the console and to
// the duty route — like for any device: the broker dropping messages
// (Mosquitto's $SYS/broker/publish/messages/dropped counter), spool
// records dropped or the spool past 80 % of its cap, InfluxDB unreachable,
// the journal's chain broken, a notifier failing longer than the critical
// escalation time. The thresholds are the rules' (seeds/rules/selfcheck.yaml).
package selfcheck

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"facmon/collectors"
	"facmon/internal/site"
)

// BrokerDroppedTopic is Mosquitto's count of messages dropped since it
// started (queue or in-flight limits reached).
const BrokerDroppedTopic = "$SYS/broker/publish/messages/dropped"

// Options configure a Checker.
type Options struct {
	Site *site.Site
	// Sink takes the points (the fan-out); Gatherer is facmon's registry.
	Sink     collectors.Sink
	Gatherer prometheus.Gatherer
	// Watch subscribes to a broker topic until ctx ends (collectors/mqtt
	// Watch); nil: the broker is not watched.
	Watch func(ctx context.Context, s *site.Site, topic string, handle func([]byte)) error
	// Clock is the time source (time.Now if nil); Every the sampling
	// period (1 s); Window the span drops are counted over (10 min).
	Clock  func() time.Time
	Every  time.Duration
	Window time.Duration
	Logger *slog.Logger
}

// Checker samples the pipeline's health.
type Checker struct {
	o Options

	mu     sync.Mutex
	broker window // $SYS drop counter
	spool  window // facmon_spool_records_dropped_total

	influxDownSince time.Time
	failing         map[string]time.Time // receiver → failing since
	lastFailures    map[string]float64
	lastSent        map[string]float64
}

// New builds a Checker.
func New(o Options) *Checker {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Every <= 0 {
		o.Every = time.Second
	}
	if o.Window <= 0 {
		o.Window = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Checker{o: o, failing: map[string]time.Time{}, lastFailures: map[string]float64{}, lastSent: map[string]float64{}}
}

// Run samples every Every until ctx ends; with an MQTT broker it also
// watches the broker's drop counter.
func (c *Checker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	if c.o.Watch != nil && c.o.Site.MQTT.URL != "" {
		wg.Go(func() {
			err := c.o.Watch(ctx, c.o.Site, BrokerDroppedTopic, func(b []byte) { c.BrokerDropped(b) })
			if err != nil && ctx.Err() == nil {
				c.o.Logger.Warn("self-check: broker drop counter not watched", "err", err)
			}
		})
	}
	t := time.NewTicker(c.o.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := c.o.Sink.Publish(ctx, c.Sample()); err != nil && ctx.Err() == nil {
			c.o.Logger.Warn("self-check points not accepted", "err", err)
		}
	}
}

// BrokerDropped takes a $SYS drop counter message.
func (c *Checker) BrokerDropped(payload []byte) {
	v, err := strconv.ParseFloat(strings.TrimSpace(string(payload)), 64)
	if err != nil || v < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.broker.add(c.o.Clock(), v)
}

// Sample returns the current points of the self-check devices.
func (c *Checker) Sample() []collectors.Point {
	now := c.o.Clock()
	m := c.metrics()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spool.add(now, m.sum("facmon_spool_records_dropped_total"))
	fill := 0.0
	if cap := float64(c.o.Site.Storage.Spool.MaxBytes); cap > 0 {
		fill = 100 * m.sum("facmon_spool_bytes") / cap
	}
	pts := []collectors.Point{
		c.point(site.SelfDevice, site.SignalSpoolDropped, c.spool.in(now, c.o.Window), now),
		c.point(site.SelfDevice, site.SignalSpoolFill, fill, now),
		c.point(site.SelfDevice, site.SignalInfluxDown, c.influxDown(m, now), now),
		c.point(site.SelfDevice, site.SignalJournalOK, m.gauge("facmon_journal_chain_ok", 1), now),
		c.point(site.SelfDevice, site.SignalNotifyFailing, c.notifyFailing(m, now), now),
	}
	if c.o.Site.MQTT.URL != "" && c.broker.seen() {
		pts = append(pts, c.point(site.BrokerDevice, site.SignalBrokerDropped, c.broker.in(now, c.o.Window), now))
	}
	return pts
}

func (c *Checker) point(dev, sig string, v float64, now time.Time) collectors.Point {
	return collectors.Point{Site: c.o.Site.ID, Kind: site.SelfKind, Device: dev, Signal: sig, Value: v, Quality: collectors.Good, Time: now}
}

// influxDown is how long facmon_influx_up has been 0.
func (c *Checker) influxDown(m families, now time.Time) float64 {
	if c.o.Site.Storage.Influx.URL == "" || m.gauge("facmon_influx_up", 1) == 1 {
		c.influxDownSince = time.Time{}
		return 0
	}
	if c.influxDownSince.IsZero() {
		c.influxDownSince = now
	}
	return now.Sub(c.influxDownSince).Seconds()
}

// notifyFailing is 1 while a receiver has had failures and nothing
// delivered for longer than the critical escalation time: the duty phone
// would have been escalated to by now, and nothing reaches it.
func (c *Checker) notifyFailing(m families, now time.Time) float64 {
	limit := time.Duration(c.o.Site.Notify.Escalation.Critical)
	if limit <= 0 {
		limit = 5 * time.Minute
	}
	failures, sent := m.byLabel("facmon_notify_failures_total", "receiver"), m.byLabel("facmon_notify_sent_total", "receiver")
	out := 0.0
	for r, f := range failures {
		switch {
		case sent[r] > c.lastSent[r]:
			delete(c.failing, r)
		case f > c.lastFailures[r] && c.failing[r].IsZero():
			c.failing[r] = now
		}
		c.lastFailures[r], c.lastSent[r] = f, sent[r]
		if since := c.failing[r]; !since.IsZero() && now.Sub(since) >= limit {
			out = 1
		}
	}
	return out
}

// metrics gathers facmon's registry.
func (c *Checker) metrics() families {
	if c.o.Gatherer == nil {
		return nil
	}
	mfs, err := c.o.Gatherer.Gather()
	if err != nil {
		c.o.Logger.Debug("self-check: gather", "err", err)
	}
	out := families{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// families are gathered metric families by name.
type families map[string]*dto.MetricFamily

// sum adds the values of every series of a counter or gauge.
func (f families) sum(name string) float64 {
	total := 0.0
	for _, m := range f[name].GetMetric() {
		total += value(m)
	}
	return total
}

// gauge is the value of a one-series gauge, def if it is absent.
func (f families) gauge(name string, def float64) float64 {
	ms := f[name].GetMetric()
	if len(ms) == 0 {
		return def
	}
	return value(ms[0])
}

// byLabel sums a metric's series by one label.
func (f families) byLabel(name, label string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range f[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out[l.GetValue()] += value(m)
			}
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	}
	return 0
}
