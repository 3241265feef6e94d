package modbus

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the collector's Prometheus series.
type metrics struct {
	requests      *prometheus.CounterVec
	errors        *prometheus.CounterVec
	pollDuration  *prometheus.HistogramVec
	online        *prometheus.GaugeVec
	publishErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "facmon_modbus_requests_total", Help: "Modbus requests sent, per device.",
		}, []string{"device"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "facmon_modbus_errors_total",
			Help: "Failed Modbus requests per device and kind (timeout, exception, frame, transaction, connection, panic, other).",
		}, []string{"device", "kind"}),
		pollDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "facmon_modbus_poll_duration_seconds", Help: "Time to poll one device, per gateway.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"gateway"}),
		online: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "facmon_modbus_device_online", Help: "1 if the device's last poll succeeded, 0 once it is offline or faulty.",
		}, []string{"device"}),
		publishErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "facmon_modbus_publish_errors_total", Help: "Batches of Modbus points the sink refused.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.errors, m.pollDuration, m.online, m.publishErrors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
