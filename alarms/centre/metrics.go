package centre

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

type metrics struct {
	transitions *prometheus.CounterVec
	fetches     *prometheus.CounterVec
	filled      prometheus.Counter
	gapsSkipped prometheus.Counter
	offline     prometheus.Gauge
	linkUp      prometheus.Gauge
	bad         prometheus.Counter
	unknown     prometheus.Counter
	acks        prometheus.Counter

	deviceStatus prometheus.Counter
	statusPoints *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		transitions: f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_centre_transitions_total",
			Help: "Site transitions received by the centre, by result (applied, duplicate)."}, []string{"result"}),
		fetches: f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_centre_gap_fetches_total",
			Help: "Gap fetches from the sites' history, by result."}, []string{"result"}),
		filled: f.NewCounter(prometheus.CounterOpts{Name: "facmon_centre_gap_filled_transitions_total",
			Help: "Transitions the centre had from a gap fetch rather than the broker."}),
		gapsSkipped: f.NewCounter(prometheus.CounterOpts{Name: "facmon_centre_gaps_skipped_total",
			Help: "Gaps given up after gap_timeout (journaled)."}),
		offline: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_centre_sites_offline",
			Help: "Sites whose site-offline alarm is raised."}),
		linkUp: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_centre_broker_connected",
			Help: "1 while the centre is connected and subscribed to the central broker; while 0 no site is judged offline by silence."}),
		bad: f.NewCounter(prometheus.CounterOpts{Name: "facmon_centre_bad_messages_total",
			Help: "Broker messages the centre could not decode."}),
		unknown: f.NewCounter(prometheus.CounterOpts{Name: "facmon_centre_unknown_site_messages_total",
			Help: "Messages from sites not in centre.yaml."}),
		acks: f.NewCounter(prometheus.CounterOpts{Name: "facmon_centre_acks_sent_total",
			Help: "Signed acknowledgements the centre published to sites."}),
		deviceStatus: f.NewCounter(prometheus.CounterOpts{Name: "facmon_centre_device_status_changes_total",
			Help: "Device status changes the centre took from the sites' status topics."}),
		statusPoints: f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_centre_site_status_points_total",
			Help: "Points of the site_status measurement handed to the InfluxDB spool, by result (written, failed: tried again)."}, []string{"result"}),
	}
}
