package influx

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	http2 "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"facmon/collectors"
	"facmon/collectors/spool"
	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

// harness is a spool and a writer on one registry, with Run started.
type harness struct {
	sp   *spool.Spool
	w    *Writer
	reg  *prometheus.Registry
	stop func()
}

func start(t *testing.T, o Options, dir string) *harness {
	t.Helper()
	reg := prometheus.NewRegistry()
	sp, err := spool.Open(spool.Options{Dir: dir, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	o.Spool, o.Registerer = sp, reg
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Run(ctx) })
	h := &harness{sp: sp, w: w, reg: reg}
	var once sync.Once
	h.stop = func() { once.Do(func() { cancel(); wg.Wait(); sp.Close() }) }
	t.Cleanup(h.stop)
	return h
}

func (h *harness) value(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if matches(m, labels) {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("metric %s%v not found", name, labels)
	return 0
}

func matches(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func count(t testing.TB, in *testbed.Influx, q string) int64 {
	t.Helper()
	n, err := in.Count(q)
	if err != nil {
		t.Logf("query: %v", err)
	}
	return n
}

func TestWriterWritesAndDrains(t *testing.T) {
	in := testbed.StartInflux(t)
	h := start(t, Options{URL: in.URL, Bucket: in.Bucket(), BatchSize: 100, FlushInterval: time.Hour, Gzip: true}, t.TempDir())
	ctx := context.Background()
	var batch []collectors.Point
	for i := range 250 {
		p := pt("water_tank", fmt.Sprintf("tank-%d", i%5), "level", float64(i))
		p.Time = t0.Add(time.Duration(i) * time.Second)
		batch = append(batch, p)
	}
	batch = append(batch, collectors.Point{Site: "demo", Kind: "pump", Device: "p1", Signal: collectors.StatusSignal,
		Value: float64(collectors.Fault), Quality: collectors.Bad, Time: t0})
	if err := h.w.Publish(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := h.w.PublishLines(ctx, [][]byte{[]byte(`alarm,site=demo,rule=r1 state="firing" 1700000000000000000`)}); err != nil {
		t.Fatal(err)
	}
	// Two full batches go at once; the tail waits for the (hour-long)
	// flush interval, which Close cuts short.
	testsupport.Eventually(t, 20*time.Second, "two full batches written", func() bool {
		return count(t, in, `SELECT count(level) FROM water_tank`) >= 200
	})
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := h.w.Close(cctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for q, want := range map[string]int64{
		`SELECT count(level) FROM water_tank`:                       250,
		`SELECT count(level) FROM water_tank WHERE device='tank-3'`: 50,
		`SELECT count(status) FROM device_status WHERE kind='pump'`: 1,
		`SELECT count(state) FROM alarm`:                            1,
	} {
		if got := count(t, in, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	for name, want := range map[string]float64{
		"facmon_points_accepted_total": 252, "facmon_points_written_total": 252,
		"facmon_points_spooled": 0, "facmon_influx_up": 1,
	} {
		if got := h.value(t, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if h.sp.Committed() != h.sp.NewReader().Pos() {
		t.Errorf("cursor not committed")
	}
}

func TestWriterDropsRejectedBatch(t *testing.T) {
	in := testbed.StartInflux(t)
	h := start(t, Options{URL: in.URL, Bucket: in.Bucket(), BatchSize: 1, FlushInterval: time.Millisecond}, t.TempDir())
	ctx := context.Background()
	lines := []string{`m f=1 1000`, `m f="text" 2000`, `m f=3 3000`} // the second: field type conflict, 400
	for _, l := range lines {
		if err := h.w.PublishLines(ctx, [][]byte{[]byte(l)}); err != nil {
			t.Fatal(err)
		}
	}
	testsupport.Eventually(t, 20*time.Second, "good points written past the rejected one", func() bool {
		return count(t, in, `SELECT count(f) FROM m`) == 2
	})
	testsupport.Eventually(t, 5*time.Second, "rejected batch counted", func() bool {
		return h.value(t, "facmon_points_dropped_total", "reason", ReasonRejected) == 1 &&
			h.value(t, "facmon_write_errors_total", "kind", kindRejected) == 1
	})
}

func TestWriterWithoutURLKeepsPoints(t *testing.T) {
	dir := t.TempDir()
	h := start(t, Options{}, dir)
	if err := h.w.Publish(context.Background(), []collectors.Point{pt("pump", "p1", "a", 1)}); err != nil {
		t.Fatal(err)
	}
	if err := h.w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.value(t, "facmon_points_spooled"); got != 1 {
		t.Errorf("spooled = %v, want 1", got)
	}
	h.stop()
	// The next start counts the backlog it found.
	h2 := start(t, Options{}, dir)
	if got := h2.value(t, "facmon_points_spooled"); got != 1 {
		t.Errorf("spooled after restart = %v, want 1", got)
	}
	if err := h2.w.Ready(); err != nil {
		t.Errorf("Ready = %v", err)
	}
}

func TestWriterRetriesUntilInfluxComesBack(t *testing.T) {
	in := testbed.StartInflux(t)
	in.Stop()
	h := start(t, Options{URL: in.URL, Bucket: in.Bucket(), BatchSize: 10, FlushInterval: 10 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}, t.TempDir())
	if err := h.w.Publish(context.Background(), []collectors.Point{pt("pump", "p1", "a", 1)}); err != nil {
		t.Fatal(err)
	}
	testsupport.Eventually(t, 10*time.Second, "network errors counted", func() bool {
		return h.value(t, "facmon_write_errors_total", "kind", kindNetwork) >= 2 && h.value(t, "facmon_influx_up") == 0
	})
	in.Start(t)
	testsupport.Eventually(t, 20*time.Second, "point written after restart", func() bool {
		return count(t, in, `SELECT count(a) FROM pump`) == 1
	})
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		kind  string
		after time.Duration
	}{
		{"network", http2.NewError(errors.New("connection refused")), kindNetwork, 0},
		{"plain error", errors.New("eof"), kindNetwork, 0},
		{"server", &http2.Error{StatusCode: 503, RetryAfter: 3}, kindServer, 3 * time.Second},
		{"throttled", &http2.Error{StatusCode: http.StatusTooManyRequests, RetryAfter: 7}, kindThrottled, 7 * time.Second},
		{"unauthorized", &http2.Error{StatusCode: 401}, kindConfig, 0},
		{"bucket not found", &http2.Error{StatusCode: 404}, kindConfig, 0},
		{"bad request", &http2.Error{StatusCode: 400}, kindRejected, 0},
		{"too large", &http2.Error{StatusCode: 413}, kindRejected, 0},
		{"wrapped", fmt.Errorf("write: %w", &http2.Error{StatusCode: 500}), kindServer, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, after := classify(tc.err)
			if kind != tc.kind || after != tc.after {
				t.Errorf("classify = %s, %v; want %s, %v", kind, after, tc.kind, tc.after)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lo, hi := 100*time.Millisecond, 30*time.Second
	for _, tc := range []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		min, max   time.Duration
	}{
		{"first", 0, 0, 50 * time.Millisecond, 100 * time.Millisecond},
		{"third", 2, 0, 200 * time.Millisecond, 400 * time.Millisecond},
		{"capped", 20, 0, 15 * time.Second, 30 * time.Second},
		{"huge attempt", 1000, 0, 15 * time.Second, 30 * time.Second},
		{"retry-after wins", 0, 5 * time.Second, 5 * time.Second, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 100 {
				if d := backoff(tc.attempt, lo, hi, tc.retryAfter, r); d < tc.min || d > tc.max {
					t.Fatalf("backoff = %v, want in [%v, %v]", d, tc.min, tc.max)
				}
			}
		})
	}
}

func TestCloseLeavesTheRestInTheSpool(t *testing.T) {
	in := testbed.StartInflux(t)
	in.Stop()
	h := start(t, Options{URL: in.URL, Bucket: in.Bucket(), MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}, t.TempDir())
	if err := h.w.Publish(context.Background(), []collectors.Point{pt("pump", "p1", "a", 1)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := h.w.Close(ctx); err == nil {
		t.Fatal("Close reported a complete flush with InfluxDB down")
	}
	if got := h.value(t, "facmon_points_spooled"); got != 1 {
		t.Errorf("spooled = %v, want 1", got)
	}
}

// fakeClock hands out timers the test fires by hand.
type fakeClock struct {
	mu     sync.Mutex
	timers []fakeTimer
}

type fakeTimer struct {
	d  time.Duration
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time { return t0 }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{d, ch})
	return ch
}

// waiting returns the timer the sender waits on, if any.
func (c *fakeClock) waiting() (fakeTimer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return fakeTimer{}, false
	}
	return c.timers[len(c.timers)-1], true
}

// TestFlushIntervalOnClock: a partial batch waits for the flush timer of
// the injected clock, and goes when it fires.
func TestFlushIntervalOnClock(t *testing.T) {
	in := testbed.StartInflux(t)
	clock := &fakeClock{}
	h := start(t, Options{URL: in.URL, Bucket: in.Bucket(), BatchSize: 100, FlushInterval: 7 * time.Second, Clock: clock}, t.TempDir())
	if err := h.w.Publish(context.Background(), []collectors.Point{pt("pump", "p1", "a", 1)}); err != nil {
		t.Fatal(err)
	}
	var timer fakeTimer
	testsupport.Eventually(t, 5*time.Second, "sender waits on the flush timer", func() bool {
		var ok bool
		timer, ok = clock.waiting()
		return ok
	})
	if timer.d != 7*time.Second {
		t.Fatalf("flush timer %v, want the 7s flush interval", timer.d)
	}
	if n := count(t, in, `SELECT count(a) FROM pump`); n != 0 {
		t.Fatalf("%d points written before the flush timer fired", n)
	}
	timer.ch <- t0
	testsupport.Eventually(t, 10*time.Second, "partial batch written", func() bool { return count(t, in, `SELECT count(a) FROM pump`) == 1 })
}

func TestPublishLinesRejects(t *testing.T) {
	h := start(t, Options{}, t.TempDir())
	for name, lines := range map[string][][]byte{
		"empty line":      {[]byte("")},
		"newline inside":  {[]byte("alarm,site=a f=1 1\nalarm f=2 2")},
		"carriage return": {[]byte("alarm f=1 1\r")},
	} {
		t.Run(name, func(t *testing.T) {
			if err := h.w.PublishLines(context.Background(), lines); err == nil {
				t.Fatal("PublishLines accepted a bad line")
			}
		})
	}
	if got := h.value(t, "facmon_points_accepted_total"); got != 0 {
		t.Errorf("accepted = %v after rejected lines", got)
	}
}

func TestNewNeedsSpool(t *testing.T) {
	if _, err := New(Options{URL: "http://127.0.0.1:1"}); err == nil {
		t.Fatal("New without a spool succeeded")
	}
}
