package notify

import "github.com/prometheus/client_golang/prometheus"

// metrics are the notifier's Prometheus series.
type metrics struct {
	sent    *prometheus.CounterVec
	failed  *prometheus.CounterVec
	queued  *prometheus.GaugeVec
	latency *prometheus.HistogramVec
}

// newMetrics registers the series on reg (nil: not registered).
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "facmon_notify_sent_total", Help: "Messages a receiver accepted.",
		}, []string{"receiver"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "facmon_notify_failures_total",
			Help: "Failed attempts by receiver and outcome: retry (will be sent again), refused (4xx, dropped), stale (expired before it could be sent).",
		}, []string{"receiver", "outcome"}),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "facmon_notify_queued", Help: "Messages waiting in a receiver's queue.",
		}, []string{"receiver"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "facmon_notify_delivery_seconds", Help: "From a message being queued to its receiver accepting it.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 5, 30, 120, 600},
		}, []string{"receiver"}),
	}
	if reg != nil {
		reg.MustRegister(m.sent, m.failed, m.queued, m.latency)
	}
	return m
}
