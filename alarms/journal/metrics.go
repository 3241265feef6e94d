package journal

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	records    prometheus.Gauge
	bytes      prometheus.Gauge
	append     prometheus.Histogram
	chainOK    prometheus.Gauge
	snapshots  prometheus.Counter
	snapErrors prometheus.Counter
	dropped    prometheus.Counter
	truncated  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		records: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "facmon_journal_records", Help: "Records held in the alarm journal.",
		}),
		bytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "facmon_journal_bytes", Help: "Size of the alarm journal's segments on disk.",
		}),
		append: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "facmon_journal_append_duration_seconds",
			Help:    "Time from Append to its records being fsync'd (group commit included).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		chainOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "facmon_journal_chain_ok",
			Help: "1 if the last verification of the journal's integrity chain passed, 0 if a record was edited, inserted or deleted.",
		}),
		snapshots: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "facmon_journal_snapshots_total", Help: "State snapshots (backups) written.",
		}),
		snapErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "facmon_journal_snapshot_errors_total", Help: "Automatic snapshots that failed.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "facmon_journal_dropped_records_total", Help: "Oldest records overwritten by the journal's caps.",
		}),
		truncated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "facmon_journal_truncated_bytes_total", Help: "Bytes of torn tail cut off on open (a crash mid-append).",
		}),
	}
	reg.MustRegister(m.records, m.bytes, m.append, m.chainOK, m.snapshots, m.snapErrors, m.dropped, m.truncated)
	return m
}

func (m *metrics) chain(ok bool) {
	if ok {
		m.chainOK.Set(1)
	} else {
		m.chainOK.Set(0)
	}
}
