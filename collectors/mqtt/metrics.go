package mqtt

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the collector's Prometheus series.
type metrics struct {
	received      prometheus.Counter
	acked         prometheus.Counter
	points        prometheus.Counter
	payloadErrors *prometheus.CounterVec
	unknown       *prometheus.CounterVec
	sinkErrors    prometheus.Counter
	reconnects    prometheus.Counter
	connected     prometheus.Gauge
	published     *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		received: f.NewCounter(prometheus.CounterOpts{Name: "facmon_mqtt_messages_received_total",
			Help: "MQTT messages handed to facmon by the broker (redeliveries included)."}),
		acked: f.NewCounter(prometheus.CounterOpts{Name: "facmon_mqtt_messages_acked_total",
			Help: "MQTT messages acknowledged after their points were durably accepted."}),
		points: f.NewCounter(prometheus.CounterOpts{Name: "facmon_mqtt_points_total",
			Help: "Points decoded from MQTT messages and accepted by the sink."}),
		payloadErrors: f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_mqtt_payload_errors_total",
			Help: "MQTT payloads (or values in them) refused, by reason."}, []string{"reason"}),
		unknown: f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_mqtt_unknown_total",
			Help: "MQTT messages naming a device, signal or topic the site does not have."}, []string{"what"}),
		sinkErrors: f.NewCounter(prometheus.CounterOpts{Name: "facmon_mqtt_sink_errors_total",
			Help: "Failed attempts to hand a batch to the sink (retried; messages stay unacknowledged)."}),
		reconnects: f.NewCounter(prometheus.CounterOpts{Name: "facmon_mqtt_reconnects_total",
			Help: "Reconnection attempts to the MQTT broker."}),
		connected: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_mqtt_connected",
			Help: "1 while connected to the MQTT broker."}),
		published: f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_mqtt_published_total",
			Help: "Messages facmon published (status, alarms), by result."}, []string{"result"}),
	}
}
