package lifecycle

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"facmon/alarms"
	"facmon/collectors"
	"facmon/internal/site"
)

// Defaults of KPIOptions, after EEMUA 191: an operator can handle about
// one alarm per 10 minutes in steady operation; an alarm raised three times
// within a minute chatters; one standing a day is stale.
const (
	DefaultRateWindow    = 10 * time.Minute
	DefaultChatterWindow = time.Minute
	DefaultChatterCount  = 3
	DefaultStaleAfter    = 24 * time.Hour
)

// KPIOptions configure a KPI.
type KPIOptions struct {
	// Clock gives the time the windows slide by; required.
	Clock func() time.Time
	// Site tags the points written to Sink.
	Site string
	// Sink, if set, receives the figures as points of the InfluxDB
	// measurement alarm (device "kpi") on every Run tick.
	Sink collectors.Sink
	// RateWindow (DefaultRateWindow), ChatterWindow and ChatterCount (a
	// (rule, device) raised more than ChatterCount times within
	// ChatterWindow chatters), StaleAfter.
	RateWindow    time.Duration
	ChatterWindow time.Duration
	ChatterCount  int
	StaleAfter    time.Duration
	// Resolve is the resolve deadline of each severity (篇4·02PART·11,
	// the site's notify.resolve): an alarm whose condition has not cleared
	// within it counts once as a missed deadline. A severity without one
	// has none.
	Resolve    map[alarms.Severity]time.Duration
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// KPI computes the alarm-system figures of EEMUA 191 from the transitions
// (it is an alarms.Output for the dispatcher): alarms per 10 minutes,
// standing and stale alarms, chattering alarms and time to acknowledge;
// and the missed resolve deadlines of 篇4·02PART·11.
type KPI struct {
	o KPIOptions
	m kpiMetrics

	mu       sync.Mutex
	raises   []time.Time            // raise times inside RateWindow, oldest first
	byPoint  map[string][]time.Time // raise times inside ChatterWindow, per (rule, device)
	standing map[string]*standing   // active alarm id -> when and how it was raised
	missed   int                    // resolve deadlines missed since start
}

// standing is an active alarm as the KPI sees it.
type standing struct {
	since  time.Time
	sev    alarms.Severity
	missed bool // its resolve deadline passed (counted once)
}

type kpiMetrics struct {
	rate, standing, stale, chattering, overdue prometheus.Gauge
	raised, resolveMissed                      prometheus.Counter
	ackTime                                    prometheus.Histogram
}

// Figures are the KPI values at one time.
type Figures struct {
	Raised     int // raises inside the rate window
	Standing   int
	Stale      int
	Chattering int
	// Overdue are the active alarms past their resolve deadline;
	// ResolveMissed counts every alarm that missed it since start.
	Overdue       int
	ResolveMissed int
}

// NewKPI registers the KPI metrics.
func NewKPI(o KPIOptions) *KPI {
	o.RateWindow = cmpOr(o.RateWindow, DefaultRateWindow)
	o.ChatterWindow = cmpOr(o.ChatterWindow, DefaultChatterWindow)
	o.StaleAfter = cmpOr(o.StaleAfter, DefaultStaleAfter)
	if o.ChatterCount <= 0 {
		o.ChatterCount = DefaultChatterCount
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	f := promauto.With(o.Registerer)
	return &KPI{o: o, byPoint: map[string][]time.Time{}, standing: map[string]*standing{}, m: kpiMetrics{
		rate: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_alarm_kpi_raised_per_10m",
			Help: "Alarms raised in the last 10 minutes (EEMUA 191: about 1 is manageable)."}),
		standing: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_alarm_kpi_standing", Help: "Alarms active now."}),
		stale: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_alarm_kpi_stale",
			Help: "Alarms active for longer than a day."}),
		chattering: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_alarm_kpi_chattering",
			Help: "Rule/device pairs raised more than 3 times within a minute."}),
		raised: f.NewCounter(prometheus.CounterOpts{Name: "facmon_alarm_kpi_raised_total", Help: "Alarms raised."}),
		overdue: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_alarm_kpi_overdue",
			Help: "Active alarms past their severity's resolve deadline (篇4·02PART·11)."}),
		resolveMissed: f.NewCounter(prometheus.CounterOpts{Name: "facmon_alarm_kpi_resolve_missed_total",
			Help: "Alarms not resolved within their severity's resolve deadline (篇4·02PART·11)."}),
		ackTime: f.NewHistogram(prometheus.HistogramOpts{Name: "facmon_alarm_kpi_time_to_ack_seconds",
			Help:    "Time from raise to acknowledgement.",
			Buckets: []float64{2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}}),
	}}
}

// ResolveDeadlines turns the site's notify.resolve into
// KPIOptions.Resolve.
func ResolveDeadlines(e site.Escalation) map[alarms.Severity]time.Duration {
	return map[alarms.Severity]time.Duration{alarms.Critical: e.Critical.Std(), alarms.Major: e.Major.Std(),
		alarms.Minor: e.Minor.Std(), alarms.Warning: e.Warning.Std()}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Transitions counts ts.
func (k *KPI) Transitions(_ context.Context, ts []alarms.Transition) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := range ts {
		k.count(&ts[i])
	}
	k.update(k.o.Clock())
	return nil
}

// count takes one transition.
func (k *KPI) count(t *alarms.Transition) {
	switch {
	case t.Change == alarms.Raise:
		k.raises = append(k.raises, t.Time)
		key := pointKey(t.Rule, t.Device)
		k.byPoint[key] = append(k.byPoint[key], t.Time)
		k.standing[t.ID] = &standing{since: t.Time, sev: t.Severity}
		k.m.raised.Inc()
	case t.Change == alarms.Ack:
		k.m.ackTime.Observe(t.Time.Sub(t.ActiveSince).Seconds())
	}
	if !t.To.Active() {
		if s := k.standing[t.ID]; s != nil {
			k.checkDeadline(s, t.Time) // resolved late, before a tick saw it
		}
		delete(k.standing, t.ID)
	}
}

// checkDeadline counts s once as a missed resolve deadline if at now it
// has been active for longer than its severity allows.
func (k *KPI) checkDeadline(s *standing, now time.Time) {
	d := k.o.Resolve[s.sev]
	if s.missed || d <= 0 || now.Sub(s.since) <= d {
		return
	}
	s.missed = true
	k.missed++
	k.m.resolveMissed.Inc()
}

// update slides the windows to now and sets the gauges.
func (k *KPI) update(now time.Time) Figures {
	k.raises = after(k.raises, now.Add(-k.o.RateWindow))
	f := Figures{Raised: len(k.raises), Standing: len(k.standing)}
	for key, ts := range k.byPoint {
		ts = after(ts, now.Add(-k.o.ChatterWindow))
		if len(ts) == 0 {
			delete(k.byPoint, key)
			continue
		}
		k.byPoint[key] = ts
		if len(ts) > k.o.ChatterCount {
			f.Chattering++
		}
	}
	for _, s := range k.standing {
		if now.Sub(s.since) > k.o.StaleAfter {
			f.Stale++
		}
		if k.checkDeadline(s, now); s.missed {
			f.Overdue++
		}
	}
	f.ResolveMissed = k.missed
	k.m.overdue.Set(float64(f.Overdue))
	k.m.rate.Set(float64(f.Raised))
	k.m.standing.Set(float64(f.Standing))
	k.m.stale.Set(float64(f.Stale))
	k.m.chattering.Set(float64(f.Chattering))
	return f
}

// after drops the times at or before cut (ts is in order).
func after(ts []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	return ts[i:]
}

// Figures slides the windows to now and returns the figures.
func (k *KPI) Figures(now time.Time) Figures {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.update(now)
}

// Run updates the gauges every tick and writes the figures to the Sink,
// until ctx ends.
func (k *KPI) Run(ctx context.Context, tick time.Duration) error {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := k.Write(ctx, k.o.Clock()); err != nil {
				k.o.Logger.Warn("alarm KPIs not written", "err", err)
			}
		}
	}
}

// Write slides the windows to now and writes the figures to the Sink, as
// Run does every tick (a simulation calls it on its own clock).
func (k *KPI) Write(ctx context.Context, now time.Time) error {
	return k.write(ctx, now, k.Figures(now))
}

// write sends the figures as points of the alarm measurement.
func (k *KPI) write(ctx context.Context, now time.Time, f Figures) error {
	if k.o.Sink == nil {
		return nil
	}
	pt := func(sig string, v int) collectors.Point {
		return collectors.Point{Site: k.o.Site, Kind: "alarm", Device: "kpi", Signal: sig, Value: float64(v),
			Quality: collectors.Good, Time: now}
	}
	return k.o.Sink.Publish(ctx, []collectors.Point{pt("raised_per_10m", f.Raised), pt("standing", f.Standing),
		pt("stale", f.Stale), pt("chattering", f.Chattering), pt("overdue", f.Overdue), pt("resolve_missed", f.ResolveMissed)})
}
