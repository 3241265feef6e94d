package influx

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	accepted prometheus.Counter
	written  prometheus.Counter
	spooled  prometheus.Gauge
	dropped  *prometheus.CounterVec
	duration prometheus.Histogram
	errors   *prometheus.CounterVec
	up       prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "facmon_points_accepted_total", Help: "Points fsync'd into the spool (accepted).",
		}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "facmon_points_written_total", Help: "Points InfluxDB accepted.",
		}),
		spooled: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "facmon_points_spooled", Help: "Points in the spool not yet written to InfluxDB.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "facmon_points_dropped_total",
			Help: "Points never written: invalid, bad_quality, rejected (InfluxDB 4xx), spool_full (cap).",
		}, []string{"reason"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "facmon_write_duration_seconds",
			Help:    "Duration of one InfluxDB write request, successful or not.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "facmon_write_errors_total",
			Help: "Failed InfluxDB writes by kind: network, server (5xx), throttled (429), config (401/403/404), rejected (other 4xx).",
		}, []string{"kind"}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "facmon_influx_up", Help: "1 if the last InfluxDB write succeeded.",
		}),
	}
	for _, r := range []string{ReasonInvalid, ReasonBadQuality, ReasonRejected, ReasonSpoolFull} {
		m.dropped.WithLabelValues(r)
	}
	for _, k := range []string{kindNetwork, kindServer, kindThrottled, kindConfig, kindRejected} {
		m.errors.WithLabelValues(k)
	}
	reg.MustRegister(m.accepted, m.written, m.spooled, m.dropped, m.duration, m.errors, m.up)
	return m
}
