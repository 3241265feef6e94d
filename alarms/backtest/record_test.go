package backtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/collectors"
	"facmon/collectors/influx"
	"facmon/collectors/spool"
	"facmon/deploy/testbed"
)

// recordPoints stores pts in InfluxDB through facmon's own writer (spool,
// line protocol, v2 write API), as the service records them.
func recordPoints(t testing.TB, in *testbed.Influx, pts func(yield func([]collectors.Point) bool)) int {
	t.Helper()
	reg := prometheus.NewRegistry()
	sp, err := spool.Open(spool.Options{Dir: t.TempDir(), Registerer: reg, MaxBytes: 8 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	w, err := influx.New(influx.Options{URL: in.URL, Bucket: in.Bucket(), Spool: sp, Registerer: reg, Gzip: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	n := 0
	for batch := range pts {
		if err := w.Publish(ctx, batch); err != nil {
			t.Fatal(err)
		}
		n += len(batch)
	}
	cctx, ccancel := context.WithTimeout(ctx, 5*time.Minute)
	defer ccancel()
	if err := w.Close(cctx); err != nil {
		t.Fatalf("draining the writer: %v\n%s", err, in.Log())
	}
	cancel()
	<-done
	return n
}
