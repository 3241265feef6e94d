package influx

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"facmon/collectors"
	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

// TestOutage is the Must-show of issue 2: 2,000 points/s flow for 45 s,
// InfluxDB is stopped for 30 s in the middle and started again; afterwards
// every point is in InfluxDB exactly once, at its own timestamp, in order
// per series.
func TestOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("75 s outage test; not with -short")
	}
	const (
		series   = 100
		period   = 50 * time.Millisecond // 100 points per 50 ms = 2,000 points/s
		duration = 45 * time.Second
		down     = 8 * time.Second
		outage   = 30 * time.Second
		ticks    = int(duration / period)
	)
	in := testbed.StartInflux(t)
	h := start(t, Options{URL: in.URL, Bucket: in.Bucket(), FlushInterval: 200 * time.Millisecond, Gzip: true,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second}, t.TempDir())
	base := time.Unix(1700000000, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sent atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { produce(ctx, t, h.w, base, series, ticks, period, &sent) })

	pause(ctx, down)
	in.Stop()
	acceptedAtStop := h.value(t, "facmon_points_accepted_total")
	testsupport.Eventually(t, 10*time.Second, "writer notices the outage", func() bool { return h.value(t, "facmon_influx_up") == 0 })
	pause(ctx, outage-2*time.Second)
	if got := h.value(t, "facmon_points_accepted_total"); got < acceptedAtStop+20000 {
		t.Errorf("during the outage accepted only grew from %v to %v", acceptedAtStop, got)
	}
	t.Logf("InfluxDB down: %v points spooled", h.value(t, "facmon_points_spooled"))
	in.Start(t)
	wg.Wait()
	want := int64(series * ticks)
	if sent.Load() != want {
		t.Fatalf("producer published %d points, want %d", sent.Load(), want)
	}
	testsupport.Eventually(t, 30*time.Second, "every point written", func() bool {
		return h.value(t, "facmon_points_spooled") == 0 && count(t, in, `SELECT count(v) FROM outage`) == want
	})
	checkSeries(t, in, base, series, ticks, period)
	t.Logf("written %v, errors network=%v, spool bytes now %v", h.value(t, "facmon_points_written_total"),
		h.value(t, "facmon_write_errors_total", "kind", kindNetwork), h.value(t, "facmon_spool_bytes"))
}

// pause waits d (test pacing, not an assertion).
func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// produce publishes one point per series every period: value k and time
// base + k·period at tick k.
func produce(ctx context.Context, t *testing.T, w *Writer, base time.Time, series, ticks int, period time.Duration, sent *atomic.Int64) {
	tk := time.NewTicker(period)
	defer tk.Stop()
	batch := make([]collectors.Point, series)
	for k := range ticks {
		for s := range series {
			batch[s] = collectors.Point{Site: "demo", Area: "a", Kind: "outage", Device: fmt.Sprintf("d%03d", s),
				Signal: "v", Value: float64(k), Time: base.Add(time.Duration(k) * period)}
		}
		if err := w.Publish(ctx, batch); err != nil {
			t.Errorf("Publish tick %d: %v", k, err)
			return
		}
		sent.Add(int64(series))
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}

// checkSeries reads every series back: ticks rows, row k at base+k·period
// with value k.
func checkSeries(t *testing.T, in *testbed.Influx, base time.Time, series, ticks int, period time.Duration) {
	t.Helper()
	r, err := in.Query(`SELECT v FROM outage GROUP BY device`)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Results) != 1 || len(r.Results[0].Series) != series {
		t.Fatalf("got %d series, want %d", len(r.Results[0].Series), series)
	}
	for _, s := range r.Results[0].Series {
		if len(s.Values) != ticks {
			t.Errorf("series %v: %d points, want %d", s.Tags, len(s.Values), ticks)
			continue
		}
		for k, row := range s.Values {
			ts, _ := row[0].(float64)
			v, _ := row[1].(float64)
			// JSON numbers are float64: compare the ns timestamps rounded alike
			// (the points are 50 ms apart, far above the rounding).
			want := float64(base.Add(time.Duration(k) * period).UnixNano())
			if ts != want || int(v) != k {
				t.Errorf("series %v row %d: time %.0f value %v; want %.0f, %d", s.Tags, k, ts, v, want, k)
				break
			}
		}
	}
}
