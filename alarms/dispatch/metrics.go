package dispatch

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

type metrics struct {
	dropped, errors, sent *prometheus.CounterVec
	queued                *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		dropped: f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_alarm_output_dropped_total",
			Help: "Alarm transitions an output lost because its queue was full (or at shutdown)."}, []string{"output"}),
		errors: f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_alarm_output_failures_total",
			Help: "Batches of alarm transitions an output failed to take."}, []string{"output"}),
		sent: f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_alarm_output_sent_total",
			Help: "Alarm transitions an output took."}, []string{"output"}),
		queued: f.NewGaugeVec(prometheus.GaugeOpts{Name: "facmon_alarm_output_queued",
			Help: "Batches of alarm transitions waiting in an output's queue."}, []string{"output"}),
	}
}
