package auth

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	logins  *prometheus.CounterVec
	refused *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "facmon_auth_logins_total",
			Help: "Password checks (console logins, Basic credentials, unlocks) by result: ok, failed, throttled.",
		}, []string{"result"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "facmon_auth_refused_total",
			Help: "Requests refused by the console's guard, by HTTP status text.",
		}, []string{"status"}),
	}
	if reg != nil {
		reg.MustRegister(m.logins, m.refused)
	}
	return m
}
