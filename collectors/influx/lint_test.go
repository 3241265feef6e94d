package influx

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetricsLint checks the writer's and the spool's metric names and
// help texts with Prometheus' own linter.
func TestMetricsLint(t *testing.T) {
	h := start(t, Options{}, t.TempDir())
	problems, err := testutil.GatherAndLint(h.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
}
