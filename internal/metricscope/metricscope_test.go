package metricscope

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestRebuildRegistersAgain: a part built, closed and built again
// registers the same metric on the same registry without a conflict, and
// only the live build's metric is gathered.
func TestRebuildRegistersAgain(t *testing.T) {
	reg := prometheus.NewRegistry()
	for i := range 3 {
		s := New(reg)
		c := promauto.With(s).NewCounter(prometheus.CounterOpts{Name: "part_things_total", Help: "h"})
		c.Add(float64(i + 1))
		if got := testutil.ToFloat64(c); got != float64(i+1) {
			t.Fatalf("build %d: %v", i, got)
		}
		if n, err := testutil.GatherAndCount(reg, "part_things_total"); err != nil || n != 1 {
			t.Fatalf("build %d: %d series, %v", i, n, err)
		}
		s.Close()
		if n, _ := testutil.GatherAndCount(reg, "part_things_total"); n != 0 {
			t.Fatalf("after close %d: %d series", i, n)
		}
	}
}
