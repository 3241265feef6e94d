package notify

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/alarms"

	"facmon/internal/testsupport"
)

// TestMetricsLint checks the notifier's metric names and help texts with
// Prometheus' own linter, after a message went out so every series exists.
func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	hook := newSink(t)
	n := testSite(map[string]string{"control-room": hook.URL(), "phone-hook": hook.URL()})
	n.FloodHold = 0
	b, err := Build(n, nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Notify: n, SiteID: "demo", Receivers: b.Receivers, OutboxDir: t.TempDir(), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	s.Transitions(ctx, []alarms.Transition{raise("fire", "panel", alarms.Major, time.Now())})
	testsupport.Eventually(t, 5*time.Second, "the message", func() bool { return s.ob.Len() == 0 && len(hook.requests()) == 1 })
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
	if testutil.ToFloat64(s.m.sent.WithLabelValues("control-room")) != 1 {
		t.Error("sent not counted")
	}
}
