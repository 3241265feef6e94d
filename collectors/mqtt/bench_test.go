package mqtt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/collectors"
	"facmon/collectors/influx"
	"facmon/collectors/spool"
	"facmon/deploy/testbed"
	"facmon/internal/procs"
	"facmon/internal/site"
)

// Benchmark load: 200 devices publishing JSON with 5 signals each, QoS 1.
const (
	benchDevices = 200
	benchEnv     = "FACMON_MQTT_BENCH_CHILD" // mode of the child process
	benchURLEnv  = "FACMON_MQTT_BENCH_URL"
	benchNEnv    = "FACMON_MQTT_BENCH_N"
	benchOutEnv  = "FACMON_MQTT_BENCH_OUT"
	benchIDEnv   = "FACMON_MQTT_BENCH_ID"
	// benchInfluxEnv is the InfluxDB URL of the facmon-influx mode.
	benchInfluxEnv = "FACMON_MQTT_BENCH_INFLUX"
	benchTopic     = "bench/{device}"
)

var benchSignals = []string{"level", "temperature", "pressure", "running", "flow"}

func benchSite(url string) *site.Site {
	s := &site.Site{ID: "bench", MQTT: site.MQTT{URL: url, ClientID: "bench-facmon",
		Subscriptions: []site.Subscription{{Topic: benchTopic, QoS: 1, Format: "json"}}}}
	for i := range benchDevices {
		d := site.Device{ID: fmt.Sprintf("dev-%03d", i), Kind: "pump", Area: "bench"}
		for _, sig := range benchSignals {
			d.Signals = append(d.Signals, site.Signal{Name: sig, Type: site.Analog, Unit: "1"})
		}
		s.Devices = append(s.Devices, d)
	}
	return s
}

// benchResult is what a subscriber child reports.
type benchResult struct {
	Mode     string  `json:"mode"`
	Messages int     `json:"messages"`
	Seconds  float64 `json:"seconds"`
	CPU      float64 `json:"cpu_seconds"`
	MaxRSSKB int64   `json:"max_rss_kb"`
}

func (r benchResult) rate() float64       { return float64(r.Messages) / r.Seconds }
func (r benchResult) cpuPer100k() float64 { return r.CPU / float64(r.Messages) * 1e5 }
func (r benchResult) rssMB() float64      { return float64(r.MaxRSSKB) / 1024 }
func (r benchResult) String() string {
	return fmt.Sprintf("%-14s %8.0f msg/s  %5.2f CPU s/100k msg  peak RSS %5.1f MB", r.Mode, r.rate(), r.cpuPer100k(), r.rssMB())
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func maxRSSKB() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}

// TestBenchChild is the subscriber process of BenchmarkIngest; it runs
// only when the benchmark starts it.
func TestBenchChild(t *testing.T) {
	mode := os.Getenv(benchEnv)
	if mode == "" {
		t.Skip("runs as the child of BenchmarkIngest")
	}
	n, _ := strconv.Atoi(os.Getenv(benchNEnv))
	url := os.Getenv(benchURLEnv)
	if prof := os.Getenv("FACMON_MQTT_BENCH_PROFILE"); prof != "" {
		f, err := os.Create(prof + "." + mode)
		if err != nil {
			t.Fatal(err)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var gov *procs.Governor
	if mode != "bare-paho" {
		var stopGov func()
		gov, stopGov = runGovernor()
		defer stopGov()
	}
	cpu0 := cpuSeconds()
	first := &firstSeen{}
	var err error
	switch strings.TrimSuffix(mode, "-live") {
	case "bare-paho":
		err = benchBare(url, n, first)
	case "facmon-discard":
		err = benchFacmon(url, n, gov, first.wrap(collectors.SinkFunc(func(context.Context, []collectors.Point) error { return nil })))
	default: // facmon-spool, facmon-influx
		err = benchSpool(t, url, n, gov, first)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := benchResult{Mode: mode, Messages: n, Seconds: first.since(), CPU: cpuSeconds() - cpu0, MaxRSSKB: maxRSSKB()}
	b, _ := json.Marshal(r)
	if err := os.WriteFile(os.Getenv(benchOutEnv), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// benchSpool runs the collector into the real spool and, for
// facmon-influx, on into InfluxDB, waiting until the writer has sent
// everything: the rate is then end to end.
func benchSpool(t *testing.T, url string, n int, gov *procs.Governor, first *firstSeen) error {
	w, run, err := spoolWriter(t.TempDir(), os.Getenv(benchInfluxEnv))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	if err := benchFacmon(url, n, gov, first.wrap(w)); err != nil {
		return err
	}
	fctx, fcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer fcancel()
	return w.Close(fctx)
}

// firstSeen records when the first message arrived: rates are measured
// from there to the last message.
type firstSeen struct {
	once sync.Once
	at   time.Time
}

func (f *firstSeen) mark() { f.once.Do(func() { f.at = time.Now() }) }

func (f *firstSeen) since() float64 { return time.Since(f.at).Seconds() }

func (f *firstSeen) wrap(s collectors.Sink) collectors.Sink {
	sink := collectors.SinkFunc(func(ctx context.Context, b []collectors.Point) error {
		f.mark()
		return s.Publish(ctx, b)
	})
	if st, ok := s.(collectors.Stager); ok {
		return markedStager{SinkFunc: sink, st: st, f: f}
	}
	return sink
}

// markedStager keeps a staging sink staging under firstSeen.
type markedStager struct {
	collectors.SinkFunc
	st collectors.Stager
	f  *firstSeen
}

func (m markedStager) Stage(ctx context.Context, b []collectors.Point) (collectors.Pending, error) {
	m.f.mark()
	return m.st.Stage(ctx, b)
}

// benchBare is the ceiling: a bare paho subscriber on the same persistent
// session settings, auto-ack, counting messages.
func benchBare(url string, n int, first *firstSeen) error {
	var got atomic.Int64
	done := make(chan struct{})
	o := paho.NewClientOptions().AddBroker(url).SetClientID(os.Getenv(benchIDEnv)).SetCleanSession(false).
		SetDefaultPublishHandler(func(_ paho.Client, _ paho.Message) {
			first.mark()
			if got.Add(1) == int64(n) {
				close(done)
			}
		})
	cl := paho.NewClient(o)
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return fmt.Errorf("bare connect: %v", tok.Error())
	}
	defer cl.Disconnect(100)
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Minute):
		return fmt.Errorf("bare: %d of %d messages", got.Load(), n)
	}
}

// benchFacmon runs the collector until n messages are acknowledged.
func benchFacmon(url string, n int, gov *procs.Governor, sink collectors.Sink) error {
	s := benchSite(url)
	s.MQTT.ClientID = os.Getenv(benchIDEnv)
	linger, _ := time.ParseDuration(os.Getenv("FACMON_MQTT_BENCH_LINGER"))
	c, err := New(Options{Site: s, Sink: sink, Linger: linger, Behind: gov.Busy})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = c.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if testutil.ToFloat64(c.metrics.acked) >= float64(n) {
			return nil
		}
	}
	return fmt.Errorf("facmon: %v of %d messages acked", testutil.ToFloat64(c.metrics.acked), n)
}

// spoolWriter opens facmon's real durable path: the InfluxDB writer on
// its disk spool (fsync'd group commits). With influxURL empty the points
// stay in the spool; otherwise the returned run function sends them.
func spoolWriter(dir, influxURL string) (*influx.Writer, func(context.Context), error) {
	sp, err := spool.Open(spool.Options{Dir: dir})
	if err != nil {
		return nil, nil, err
	}
	w, err := influx.New(influx.Options{URL: influxURL, Bucket: "facmon/autogen", Spool: sp})
	if err != nil {
		return nil, nil, err
	}
	return w, func(ctx context.Context) { _ = w.Run(ctx) }, nil
}

// BenchmarkIngest measures ingest from a real Mosquitto of QoS 1 JSON
// messages from 200 devices × 5 signals by four subscribers, side by
// side: (1) a bare paho subscriber, the ceiling; (2) facmon's collector
// with a discarding sink; (3) facmon's collector into the real durable
// path, the InfluxDB writer's fsync'd spool, with no InfluxDB (as in the
// demo); (4) the same on into a real InfluxDB 1.8.10, timed until every
// point is written there (and counted there afterwards). Each runs in its
// own process, so its CPU time and peak RSS are its own (InfluxDB's and
// the broker's are not counted), in two scenarios:
//
//   - backlog: the messages are queued for the subscriber's persistent
//     session first, then drained — the most the broker can deliver;
//   - live: the subscriber runs while 4 publishers publish — sustained.
//
// FACMON_BENCH_MESSAGES changes the count per run (default 100000),
// FACMON_BENCH_SCENARIO picks one scenario (backlog or live),
// FACMON_BENCH_MODES a comma-separated subset of the modes,
// FACMON_BENCH_MOSQUITTO_EXTRA lines added to mosquitto.conf, separated by
// ";" (max_inflight_messages 20: the stock in-flight limit).
func BenchmarkIngest(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("FACMON_BENCH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	broker := testbed.StartMosquitto(b, testbed.MosquittoOptions{Extra: strings.ReplaceAll(os.Getenv("FACMON_BENCH_MOSQUITTO_EXTRA"), ";", "\n")})
	influxDB := testbed.StartInflux(b)
	modes := []string{"bare-paho", "facmon-discard", "facmon-spool", "facmon-influx"}
	if m := os.Getenv("FACMON_BENCH_MODES"); m != "" {
		modes = strings.Split(m, ",")
	}
	results := map[string]benchResult{}
	for range b.N {
		for _, live := range benchScenarios() {
			for _, mode := range modes {
				if live {
					mode += "-live"
				}
				results[mode] = benchMode(b, broker.URL, influxDB.URL, mode, n)
				b.Log(results[mode])
				if strings.HasPrefix(mode, "facmon-influx") {
					checkInflux(b, influxDB, n)
				}
			}
			if telegrafBin() != "" && os.Getenv("FACMON_BENCH_MODES") == "" {
				name, id := "telegraf", "bench-telegraf"
				if live {
					name, id = name+"-live", id+"-live"
				}
				prepareSession(b, broker.URL, id, n, live)
				results[name] = benchTelegraf(b, broker.URL, influxDB.URL, influxDB, id, n, live)
				b.Log(results[name])
			}
		}
	}
	for _, sc := range []string{"", "-live"} {
		bare, fm, fi := results["bare-paho"+sc], results["facmon-spool"+sc], results["facmon-influx"+sc]
		if bare.Messages == 0 {
			continue
		}
		name := map[string]string{"": "backlog", "-live": "live"}[sc]
		b.ReportMetric(bare.rate(), name+"-bare-msg/s")
		b.ReportMetric(fm.rate(), name+"-facmon-msg/s")
		b.ReportMetric(fm.rate()/bare.rate(), name+"-facmon/bare")
		b.ReportMetric(fm.cpuPer100k(), name+"-facmon-CPU-s/100k")
		b.ReportMetric(bare.cpuPer100k(), name+"-bare-CPU-s/100k")
		b.ReportMetric(fm.rssMB(), name+"-facmon-peak-RSS-MB")
		b.ReportMetric(fi.rate(), name+"-to-influx-msg/s")
		b.ReportMetric(fi.cpuPer100k(), name+"-to-influx-CPU-s/100k")
		b.ReportMetric(fi.rssMB(), name+"-to-influx-peak-RSS-MB")
		if tg := results["telegraf"+sc]; tg.Messages > 0 {
			b.ReportMetric(tg.rate(), name+"-telegraf-msg/s")
			b.ReportMetric(float64(n-tg.Messages), name+"-telegraf-lost-msgs")
			b.ReportMetric(tg.cpuPer100k(), name+"-telegraf-CPU-s/100k")
			b.ReportMetric(tg.rssMB(), name+"-telegraf-peak-RSS-MB")
			b.ReportMetric(fi.cpuPer100k()/tg.cpuPer100k(), name+"-facmon/telegraf-CPU")
			b.ReportMetric(fi.rssMB()/tg.rssMB(), name+"-facmon/telegraf-RSS")
		}
	}
}

// checkInflux checks that every message's level reached InfluxDB, and
// empties the measurement for the next run.
func checkInflux(b *testing.B, in *testbed.Influx, n int) {
	b.Helper()
	got, err := in.Count(`SELECT count("level") FROM "pump"`)
	if err != nil {
		b.Fatal(err)
	}
	if got != int64(n) {
		b.Errorf("InfluxDB has %d level points, want %d", got, n)
	}
	if _, err := in.Query(`DROP MEASUREMENT "pump"`); err != nil {
		b.Fatal(err)
	}
}

// benchScenarios reads FACMON_BENCH_SCENARIO: backlog, live or both.
func benchScenarios() []bool {
	switch os.Getenv("FACMON_BENCH_SCENARIO") {
	case "backlog":
		return []bool{false}
	case "live":
		return []bool{true}
	}
	return []bool{false, true}
}

// benchMode creates a fresh persistent session for the subscriber, then
// either queues n messages and starts the subscriber process (backlog),
// or starts it and publishes (live), and reads its report.
func benchMode(b *testing.B, url, influxURL, mode string, n int) benchResult {
	b.Helper()
	id := "bench-" + mode
	live := strings.HasSuffix(mode, "-live")
	prepareSession(b, url, id, n, live)
	out := filepath.Join(b.TempDir(), "result.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchChild$")
	cmd.Env = append(os.Environ(), benchEnv+"="+mode, benchURLEnv+"="+url, benchNEnv+"="+strconv.Itoa(n),
		benchOutEnv+"="+out, benchIDEnv+"="+id, benchInfluxEnv+"=")
	if strings.HasPrefix(mode, "facmon-influx") {
		cmd.Env[len(cmd.Env)-1] += influxURL
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	if live {
		publishBench(b, url, n)
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("%s subscriber: %v\n%s", mode, err, log.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	var r benchResult
	if err := json.Unmarshal(raw, &r); err != nil {
		b.Fatal(err)
	}
	return r
}

// prepareSession creates a fresh persistent session for subscriber id and,
// for the backlog scenario, queues the n messages on it.
func prepareSession(b *testing.B, url, id string, n int, live bool) {
	b.Helper()
	cleanSession(b, url, id)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(false))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("session %s: %v", id, tok.Error())
	}
	if tok := sub.Subscribe("bench/+", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("subscribe %s: %v", id, tok.Error())
	}
	sub.Disconnect(100)
	if !live {
		publishBench(b, url, n)
	}
}

// cleanSession removes a persistent session left by an earlier run.
func cleanSession(b *testing.B, url, id string) {
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true))
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("clean session %s: %v", id, tok.Error())
	}
	cl.Disconnect(100)
}

// publishBench publishes n QoS 1 messages, round-robin over the devices,
// from 4 concurrent publishers with windows of in-flight messages.
func publishBench(b *testing.B, url string, n int) {
	b.Helper()
	const publishers, window = 4, 1000
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			cl := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("bench-pub-%d", p)).
				SetMaxResumePubInFlight(window))
			if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				b.Errorf("publisher: %v", tok.Error())
				return
			}
			defer cl.Disconnect(100)
			toks := make([]paho.Token, 0, window)
			for i := p; i < n; i += publishers {
				dev := i % benchDevices
				body := fmt.Sprintf(`{"level":%.2f,"temperature":%.1f,"pressure":%.3f,"running":%t,"flow":%d}`,
					float64(i%1000)/100, 20+float64(i%50)/10, 3+float64(i%7)/1000, i%2 == 0, i)
				toks = append(toks, cl.Publish(fmt.Sprintf("bench/dev-%03d", dev), 1, false, body))
				if len(toks) == window {
					waitTokens(b, toks)
					toks = toks[:0]
				}
			}
			waitTokens(b, toks)
		})
	}
	wg.Wait()
}

func waitTokens(tb testing.TB, toks []paho.Token) {
	tb.Helper()
	for _, t := range toks {
		if !t.WaitTimeout(30*time.Second) || t.Error() != nil {
			tb.Errorf("publish: %v", t.Error())
			return
		}
	}
}
