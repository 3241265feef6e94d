package influx

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api/write"
	"github.com/prometheus/client_golang/prometheus"

	"facmon/collectors"
	"facmon/collectors/spool"
	"facmon/deploy/testbed"
)

// Benchmark load: benchSeries devices of one kind, one signal each; the
// points of run r are distinct (their own measurement) so that no run
// overwrites another's.
const (
	benchSeries    = 100
	benchBatchSize = 5000
	benchPublish   = 1000 // points per Publish call, as a busy fan-out hands them on
	benchGzip      = true
)

func benchPoints(kind string, n int) []collectors.Point {
	base := time.Unix(1700000000, 0)
	pts := make([]collectors.Point, n)
	for i := range pts {
		pts[i] = collectors.Point{Site: "demo", Area: "north", Kind: kind, Device: fmt.Sprintf("dev-%03d", i%benchSeries),
			Signal: "v", Value: float64(i), Time: base.Add(time.Duration(i/benchSeries) * time.Millisecond)}
	}
	return pts
}

// BenchmarkThroughput writes the same points (a) with the bare
// influxdb-client-go non-blocking WriteAPI — the ceiling — and (b) with
// the spooled Writer end to end (Publish → fsync'd spool → sender →
// InfluxDB, until facmon_points_written_total says all), into the same
// real InfluxDB 1.8.10, and reports both rates and b/a.
//
// The two alternate in rounds so that the load of a shared machine falls
// on both alike.
func BenchmarkThroughput(b *testing.B) {
	const n, rounds = 300_000, 3
	in := testbed.StartInflux(b)
	var ceil, ours time.Duration
	for i := range b.N * rounds {
		ceil += bareClient(b, in, benchPoints(fmt.Sprintf("bench_a%d", i), n))
		ours += spooledWriter(b, in, benchPoints(fmt.Sprintf("bench_b%d", i), n))
	}
	a := float64(n*rounds*b.N) / ceil.Seconds()
	s := float64(n*rounds*b.N) / ours.Seconds()
	b.ReportMetric(a, "ceiling_points/s")
	b.ReportMetric(s, "spooled_points/s")
	b.ReportMetric(s/a, "ratio")
}

// bareClient is (a): WritePoint per point, batches of benchBatchSize,
// until Flush returns (the write proc is idle, every batch sent).
func bareClient(b *testing.B, in *testbed.Influx, pts []collectors.Point) time.Duration {
	opts := influxdb2.DefaultOptions().SetBatchSize(benchBatchSize).SetUseGZip(benchGzip).SetFlushInterval(1000)
	client := influxdb2.NewClientWithOptions(in.URL, "", opts)
	defer client.Close()
	wa := client.WriteAPI("", in.Bucket())
	var errs sync.WaitGroup
	errCh := wa.Errors()
	errs.Go(func() {
		for err := range errCh {
			b.Errorf("bare client: %v", err)
		}
	})
	start := time.Now()
	for _, p := range pts {
		wa.WritePoint(write.NewPoint(p.Kind,
			map[string]string{"site": p.Site, "area": p.Area, "device": p.Device},
			map[string]any{p.Signal: p.Value}, p.Time))
	}
	wa.Flush()
	d := time.Since(start)
	client.Close()
	errs.Wait()
	mustCount(b, in, pts[0].Kind, len(pts))
	return d
}

// spooledWriter is (b): Publish from 4 goroutines in calls of
// benchPublish points, until all are written.
func spooledWriter(b *testing.B, in *testbed.Influx, pts []collectors.Point) time.Duration {
	reg := prometheus.NewRegistry()
	sp, err := spool.Open(spool.Options{Dir: b.TempDir(), Registerer: reg})
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	w, err := New(Options{URL: in.URL, Bucket: in.Bucket(), BatchSize: benchBatchSize, Gzip: benchGzip, Spool: sp, Registerer: reg})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	start := time.Now()
	publishAll(b, w, pts, 4)
	for gather(reg, "facmon_points_written_total") < float64(len(pts)) {
		time.Sleep(time.Millisecond)
	}
	d := time.Since(start)
	mustCount(b, in, pts[0].Kind, len(pts))
	return d
}

func publishAll(b *testing.B, w *Writer, pts []collectors.Point, workers int) {
	var wg sync.WaitGroup
	chunks := make(chan []collectors.Point, workers)
	for range workers {
		wg.Go(func() {
			for c := range chunks {
				if err := w.Publish(context.Background(), c); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := 0; i < len(pts); i += benchPublish {
		chunks <- pts[i:min(i+benchPublish, len(pts))]
	}
	close(chunks)
	wg.Wait()
}

func mustCount(b *testing.B, in *testbed.Influx, kind string, want int) {
	if got := count(b, in, `SELECT count(v) FROM `+kind); got != int64(want) {
		b.Fatalf("%s: %d points in InfluxDB, want %d", kind, got, want)
	}
}

// BenchmarkReplay spools 500,000 points while InfluxDB is down, starts
// it, and measures how fast the backlog drains while the site keeps
// publishing 2,000 points/s (the Must-show load). drain/ingest is the
// catch-up factor; the goal is ≥ 3.
func BenchmarkReplay(b *testing.B) {
	const backlog, liveRate = 500_000, 2000
	for i := range b.N {
		in := testbed.StartInflux(b)
		in.Stop()
		reg := prometheus.NewRegistry()
		sp, err := spool.Open(spool.Options{Dir: b.TempDir(), Registerer: reg})
		if err != nil {
			b.Fatal(err)
		}
		w, _ := New(Options{URL: in.URL, Bucket: in.Bucket(), BatchSize: benchBatchSize, Gzip: benchGzip,
			Spool: sp, Registerer: reg, MaxBackoff: 200 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { _ = w.Run(ctx) })
		start := time.Now()
		publishAll(b, w, benchPoints(fmt.Sprintf("replay%d", i), backlog), 4)
		spoolRate := backlog / time.Since(start).Seconds()
		in.Start(b)
		start = time.Now()
		live := benchPoints(fmt.Sprintf("live%d", i), 1<<20)
		liveCtx, stopLive := context.WithCancel(ctx)
		var sent int
		wg.Go(func() { sent = publishPaced(liveCtx, w, live, liveRate) })
		for gather(reg, "facmon_points_written_total") < backlog {
			time.Sleep(5 * time.Millisecond)
		}
		d := time.Since(start)
		stopLive()
		cancel()
		wg.Wait()
		sp.Close()
		drain := float64(backlog) / d.Seconds()
		b.ReportMetric(spoolRate, "spool_ingest_points/s")
		b.ReportMetric(drain, "drain_points/s")
		b.ReportMetric(drain/liveRate, "drain/ingest")
		_ = sent
	}
}

// publishPaced publishes pts at rate points/s in 50 ms ticks until ctx
// ends, and returns how many it published.
func publishPaced(ctx context.Context, w *Writer, pts []collectors.Point, rate int) int {
	per := rate / 20
	tk := time.NewTicker(50 * time.Millisecond)
	defer tk.Stop()
	sent := 0
	for sent+per <= len(pts) {
		if w.Publish(ctx, pts[sent:sent+per]) != nil {
			return sent
		}
		sent += per
		select {
		case <-ctx.Done():
			return sent
		case <-tk.C:
		}
	}
	return sent
}

// BenchmarkSpoolRSS measures, in a child process, the peak RSS (VmHWM) of spooling 1,000,000 points through Publish with no
// InfluxDB; the goal is ≤ 64 MB.
func BenchmarkSpoolRSS(b *testing.B) {
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$", "-test.bench=^$", "-test.count=1")
		cmd.Env = append(os.Environ(), "FACMON_RSS_DIR="+b.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		_, after, ok := strings.Cut(string(out), "MAXRSS_KB ")
		kb, err := strconv.Atoi(strings.Fields(after + " x")[0])
		if !ok || err != nil {
			b.Fatalf("child output: %s", out)
		}
		b.ReportMetric(float64(kb)/1024, "peak_rss_MB")
	}
}

// TestRSSChild is BenchmarkSpoolRSS's child; it does nothing otherwise.
func TestRSSChild(t *testing.T) {
	dir := os.Getenv("FACMON_RSS_DIR")
	if dir == "" {
		t.Skip("child of BenchmarkSpoolRSS only")
	}
	sp, err := spool.Open(spool.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	w, err := New(Options{Spool: sp})
	if err != nil {
		t.Fatal(err)
	}
	const total, chunk = 1_000_000, 1000
	for i := 0; i < total; i += chunk {
		if err := w.Publish(context.Background(), benchChunk(i, chunk)); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Printf("MAXRSS_KB %d spool_bytes %d\n", peakRSS(t), sp.Bytes())
}

// peakRSS is the process's peak resident set in KiB: VmHWM from
// /proc/self/status, which starts afresh at exec. getrusage's ru_maxrss
// does not: it keeps the parent's RSS from the (v)fork that started us.
func peakRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				kb, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
				if err == nil {
					return kb
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Maxrss
}

// benchChunk makes points from..from+n without holding the million.
func benchChunk(from, n int) []collectors.Point {
	base := time.Unix(1700000000, 0)
	pts := make([]collectors.Point, n)
	for j := range pts {
		i := from + j
		pts[j] = collectors.Point{Site: "demo", Area: "north", Kind: "rss", Device: fmt.Sprintf("dev-%03d", i%benchSeries),
			Signal: "v", Value: float64(i), Time: base.Add(time.Duration(i/benchSeries) * time.Millisecond)}
	}
	return pts
}

// BenchmarkPublishNoInflux is the cost of Publish alone (encode, frame,
// append, fsync) per point, with 4 publishers in calls of 1000 points.
func BenchmarkPublishNoInflux(b *testing.B) {
	sp, err := spool.Open(spool.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	w, _ := New(Options{Spool: sp})
	pts := benchPoints("pub", 100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		publishAll(b, w, pts, 4)
	}
	b.ReportMetric(float64(len(pts)*b.N)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkEncode is the line-protocol encoding alone.
func BenchmarkEncode(b *testing.B) {
	pts := benchPoints("enc", 1000)
	b.ReportAllocs()
	for range b.N {
		encodePoints(pts, nil)
	}
	b.ReportMetric(float64(len(pts)*b.N)/b.Elapsed().Seconds(), "points/s")
}
