package sse

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

type metrics struct {
	clients prometheus.Gauge
	dropped prometheus.Counter
	resets  prometheus.Counter
	events  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		clients: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_sse_clients",
			Help: "Connected event-stream clients."}),
		dropped: f.NewCounter(prometheus.CounterOpts{Name: "facmon_sse_clients_dropped_total",
			Help: "Event-stream clients disconnected because they fell too far behind."}),
		resets: f.NewCounter(prometheus.CounterOpts{Name: "facmon_sse_resets_total",
			Help: "Resuming clients told to reload because the events they missed are no longer kept."}),
		events: f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_sse_events_total",
			Help: "Events published on the stream, by type."}, []string{"type"}),
	}
}
