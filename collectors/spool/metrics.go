package spool

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	bytes     prometheus.Gauge
	segments  prometheus.Gauge
	dropped   prometheus.Counter
	fsync     prometheus.Histogram
	truncated prometheus.Counter
	corrupt   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		bytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "facmon_spool_bytes", Help: "Size of the spool's segments on disk.",
		}),
		segments: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "facmon_spool_segments", Help: "Number of spool segment files.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "facmon_spool_records_dropped_total",
			Help: "Records deleted unsent because the spool reached its size cap.",
		}),
		fsync: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "facmon_spool_fsync_duration_seconds",
			Help:    "Duration of one group-commit fsync.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		truncated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "facmon_spool_truncated_bytes_total",
			Help: "Bytes of torn tail cut off the newest segment on open (a crash mid-append).",
		}),
		corrupt: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "facmon_spool_corrupt_total",
			Help: "Segments or segment tails skipped because they were unreadable.",
		}),
	}
	reg.MustRegister(m.bytes, m.segments, m.dropped, m.fsync, m.truncated, m.corrupt)
	return m
}

func (m *metrics) update(bytes int64, segments int) {
	m.bytes.Set(float64(bytes))
	m.segments.Set(float64(segments))
}
