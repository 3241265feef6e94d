package mqtt

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/collectors"
	"facmon/collectors/fanout"
	"facmon/collectors/influx"
	"facmon/collectors/spool"
	"facmon/deploy/testbed"
	"facmon/internal/procs"
	"facmon/internal/site"
	"facmon/internal/testsupport"
)

// The paced benchmark: a community publishes steadily, not at full speed.
const (
	pacedDevicesEnv = "FACMON_PACED_DEVICES" // child: how many devices the site has
	pacedLatEnv     = "FACMON_PACED_LAT"     // child: where to write its alarm-path latencies
	pacedTopic      = "paced/{device}"
)

// Broker limits of the paced runs: Mosquitto's stock defaults, and what
// docs/mqtt.md recommends.
var pacedBrokers = map[string]string{
	"stock":       "max_inflight_messages 20\nmax_queued_messages 1000\nsys_interval 1",
	"recommended": "max_inflight_messages 1000\nmax_queued_messages 100000\nsys_interval 1",
}

func pacedSite(url string, devices int) *site.Site {
	s := &site.Site{ID: "paced", MQTT: site.MQTT{URL: url, ClientID: os.Getenv(benchIDEnv),
		Subscriptions: []site.Subscription{{Topic: pacedTopic, QoS: 1, Format: "json"}}}}
	for i := range devices {
		d := site.Device{ID: pacedDevice(i), Kind: "pump", Area: "bench"}
		for _, sig := range benchSignals {
			d.Signals = append(d.Signals, site.Signal{Name: sig, Type: site.Analog, Unit: "1"})
		}
		s.Devices = append(s.Devices, d)
	}
	return s
}

func pacedDevice(i int) string { return fmt.Sprintf("dev-%04d", i) }

// TestPacedChild is the facmon process of BenchmarkPaced: the MQTT
// collector into the fan-out, whose store is the InfluxDB writer on its
// fsync'd spool and whose one consumer stands where the alarm engine
// does, timing each point from its publish (the payload's "flow" is the
// publish time in µs). Mode "facmon" is the defaults; "facmon-before"
// is the policy before issue 18: the collector waits for each fsync
// before the next batch, the fsync goes at once, and consumers get a
// batch only after its fsync. Like facmon run, it runs the processor
// governor (runGovernor). It runs until SIGTERM, then
// writes the latencies.
func TestPacedChild(t *testing.T) {
	mode := os.Getenv(benchEnv)
	if !strings.HasPrefix(mode, "paced-") {
		t.Skip("runs as the child of BenchmarkPaced")
	}
	devices, _ := strconv.Atoi(os.Getenv(pacedDevicesEnv))
	if prof := os.Getenv("FACMON_MQTT_BENCH_PROFILE"); prof != "" {
		f, err := os.Create(prof + "." + mode)
		if err != nil {
			t.Fatal(err)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	before := mode == "paced-facmon-before"
	window := time.Duration(0)
	if before {
		window = -1
	}
	sp, err := spool.Open(spool.Options{Dir: t.TempDir(), SyncWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	w, err := influx.New(influx.Options{URL: os.Getenv(benchInfluxEnv), Bucket: "facmon/autogen", Spool: sp})
	if err != nil {
		t.Fatal(err)
	}
	lat := &latencies{}
	consumer := fanout.Consumer{Name: "alarm", Handle: lat.observe}
	reg := prometheus.NewRegistry()
	var sink collectors.Sink
	if before {
		f := fanout.New(fanout.Options{Consumers: []fanout.Consumer{consumer}, Registerer: reg})
		sink = collectors.SinkFunc(func(ctx context.Context, b []collectors.Point) error {
			if err := w.Publish(ctx, b); err != nil {
				return err
			}
			return f.Publish(ctx, b)
		})
		defer runFanout(f)()
	} else {
		f := fanout.New(fanout.Options{Store: w, Consumers: []fanout.Consumer{consumer}, Registerer: reg})
		sp.SettleWith(f.Settled) // as facmon run wires it
		sink = f
		defer runFanout(f)()
	}
	gov, stopGov := runGovernor()
	defer stopGov()
	c, err := New(Options{Site: pacedSite(os.Getenv(benchURLEnv), devices), Sink: sink, Registerer: reg, Behind: gov.Busy})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Run(ctx) })
	_ = c.Run(ctx)
	wg.Wait()
	out := lat.snapshot()
	out.Received = int64(testutil.ToFloat64(c.metrics.received))
	out.Acked = int64(testutil.ToFloat64(c.metrics.acked))
	if mfs, err := reg.Gather(); err == nil {
		for _, mf := range mfs {
			if mf.GetName() == "facmon_fanout_dropped_points_total" {
				for _, m := range mf.GetMetric() {
					out.ConsumerDropped += int64(m.GetCounter().GetValue())
				}
			}
		}
	}
	b, _ := json.Marshal(out)
	if err := os.WriteFile(os.Getenv(pacedLatEnv), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runGovernor runs the processor governor (package procs) in a
// benchmark's facmon child, as facmon run does, unless
// FACMON_BENCH_GOVERNOR=off (for the side-by-side figures of
// docs/storage.md).
// The collector's Behind is the governor's Busy (nil-safe when off).
func runGovernor() (g *procs.Governor, stop func()) {
	if os.Getenv("FACMON_BENCH_GOVERNOR") == "off" {
		return nil, func() {}
	}
	g = procs.New(procs.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = g.Run(ctx) })
	return g, func() { cancel(); wg.Wait() }
}

func runFanout(f *fanout.Fanout) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { f.Run(ctx) })
	return func() { cancel(); wg.Wait() }
}

// latencies collects publish → consumer times in ms, and which messages
// (by their "flow", the publish time in µs) reached facmon.
type latencies struct {
	mu    sync.Mutex
	ms    []float64
	flows map[float64]struct{}
}

func (l *latencies) observe(_ context.Context, batch []collectors.Point) {
	now := float64(time.Now().UnixMicro())
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.flows == nil {
		l.flows = make(map[float64]struct{})
	}
	for _, p := range batch {
		if p.Signal == "flow" {
			l.ms = append(l.ms, (now-p.Value)/1000)
			l.flows[p.Value] = struct{}{}
		}
	}
}

// childReport is what the facmon child writes when it stops.
type childReport struct {
	Ms       []float64 // publish → the consumer, each point
	Distinct int       // distinct messages the consumer saw
	Received int64     // messages the broker delivered (redeliveries included)
	Acked    int64     // messages acknowledged after their fsync
	// ConsumerDropped: points the consumer's full queue dropped (then
	// Distinct undercounts what reached facmon).
	ConsumerDropped int64
}

func (l *latencies) snapshot() childReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	return childReport{Ms: slices.Clone(l.ms), Distinct: len(l.flows)}
}

// pacedResult is one subscriber's run.
type pacedResult struct {
	Mode, Broker           string
	Rate, Devices          int
	Published, Stored      int
	Delivered              int   // distinct messages that reached facmon's consumer (0: not known)
	Received, Acked        int64 // facmon's collector: messages delivered (redeliveries included), acknowledged
	CPU                    float64
	RSSKB                  int64
	InfluxP50, InfluxP99   float64 // ms, publish → counted in InfluxDB
	AlarmP50, AlarmP99     float64 // ms, publish → alarm engine's input
	AlarmMax               float64
	BrokerDropped          int64 // $SYS/broker/publish/messages/dropped during the run
	Duplicates             int64 // points in InfluxDB beyond one per message (redeliveries)
	BacklogSecondsAfterEnd float64
}

func (r pacedResult) cpuPer100k() float64 { return r.CPU / float64(max(r.Published, 1)) * 1e5 }

func (r pacedResult) String() string {
	s := fmt.Sprintf("%-8s %-12s %6d msg/s %5d dev: %6.2f CPU s/100k, peak RSS %5.1f MB, lost %d, publish→InfluxDB p50 %.0f p99 %.0f ms",
		r.Mode, r.Broker, r.Rate, r.Devices, r.cpuPer100k(), float64(r.RSSKB)/1024, r.Published-r.Stored, r.InfluxP50, r.InfluxP99)
	if r.AlarmP99 > 0 {
		s += fmt.Sprintf(", publish→alarm p50 %.1f p99 %.1f max %.1f ms", r.AlarmP50, r.AlarmP99, r.AlarmMax)
	}
	if r.Delivered > 0 {
		s += fmt.Sprintf("; facmon got %d distinct (%d deliveries, %d acked), stored %d of them", r.Delivered, r.Received, r.Acked, r.Stored)
	}
	if r.BrokerDropped > 0 {
		s += fmt.Sprintf(" (broker dropped %d)", r.BrokerDropped)
	}
	if r.Duplicates > 0 {
		s += fmt.Sprintf(" (%d redelivered twice)", r.Duplicates)
	}
	return s
}

// BenchmarkPaced runs facmon and tuned Telegraf side by side, one after
// the other against the same Mosquitto and InfluxDB 1.8.10, publishing
// QoS 1 JSON (5 fields) at a steady rate for FACMON_PACED_SECONDS
// (default 30) per run: rates FACMON_PACED_RATES (default
// 500,2000,10000), device counts FACMON_PACED_DEVICE_COUNTS (default
// 200,5000), broker limits FACMON_PACED_BROKERS (default
// stock,recommended), subscribers FACMON_PACED_MODES (default
// facmon,telegraf; telegraf-default is Telegraf with the default
// max_undelivered_messages, facmon-before the commit policy before
// issue 18).
// CPU is counted from the first publish to the last point in InfluxDB;
// "lost" is published minus counted in InfluxDB; publish → InfluxDB is
// when the count first covered a message (polled every 100 ms, so ±100
// ms; both writers flush every second); publish → alarm is facmon's
// publish → the alarm engine's input (the fan-out consumer).
func BenchmarkPaced(b *testing.B) {
	secs := envInt("FACMON_PACED_SECONDS", 30)
	rates := envInts("FACMON_PACED_RATES", "500,2000,10000")
	counts := envInts("FACMON_PACED_DEVICE_COUNTS", "200,5000")
	brokers := strings.Split(envStr("FACMON_PACED_BROKERS", "stock,recommended"), ",")
	modes := strings.Split(envStr("FACMON_PACED_MODES", "facmon,telegraf"), ",")
	in := testbed.StartInflux(b)
	for range b.N {
		for _, br := range brokers {
			mq := testbed.StartMosquitto(b, testbed.MosquittoOptions{Extra: pacedBrokers[br]})
			drops := watchDropped(b, mq.URL, "paced-sys-"+br)
			for _, devices := range counts {
				for _, rate := range rates {
					var fm, tg pacedResult
					for _, mode := range modes {
						if strings.HasPrefix(mode, "telegraf") && telegrafBin() == "" {
							b.Log("telegraf not built (bash deploy/testbed/prereqs.sh --bench): skipped")
							continue
						}
						r := pacedRun(b, mq, in, drops, pacedRunSpec{mode: mode, broker: br, rate: rate, devices: devices, secs: secs})
						b.Log(r)
						fmt.Fprintln(os.Stderr, "paced:", r) // progress: a 30-minute matrix
						if !strings.HasPrefix(mode, "telegraf") {
							checkPacedLoss(b, r)
						}
						switch mode {
						case "facmon":
							fm = r
						case "telegraf":
							tg = r
						}
					}
					if fm.Published > 0 && tg.Published > 0 {
						b.Logf("=> %s %d msg/s %d dev: facmon/telegraf CPU per message %.2f, RSS %.2f",
							br, rate, devices, fm.cpuPer100k()/tg.cpuPer100k(), float64(fm.RSSKB)/float64(tg.RSSKB))
						b.ReportMetric(fm.cpuPer100k()/tg.cpuPer100k(), fmt.Sprintf("%s-%d/s-%ddev-facmon/telegraf-CPU", br, rate, devices))
					}
				}
			}
		}
	}
}

// checkPacedLoss fails the run if facmon lost a message: one it received
// and did not store, or any message while the broker dropped none.
// Messages the broker never delivered are the broker's drops; a
// difference from its $SYS count is logged.
func checkPacedLoss(b *testing.B, r pacedResult) {
	b.Helper()
	switch {
	case r.Delivered > 0 && r.Stored < r.Delivered:
		b.Errorf("%s: %d messages lost that the broker had delivered to facmon", r.Mode, r.Delivered-r.Stored)
	case r.Published != r.Stored && r.BrokerDropped == 0:
		b.Errorf("%s: %d messages lost without a broker drop", r.Mode, r.Published-r.Stored)
	case r.Delivered > 0 && int64(r.Published-r.Delivered) != r.BrokerDropped:
		b.Logf("%s: the broker did not deliver %d messages; its $SYS drop counter says %d", r.Mode, r.Published-r.Delivered, r.BrokerDropped)
	}
}

type pacedRunSpec struct {
	mode, broker        string
	rate, devices, secs int
}

// pacedRun starts the subscriber on a fresh persistent session, lets it
// settle, publishes at the rate, waits for InfluxDB to have everything
// (or to stop growing for 15 s), and reads the subscriber's CPU and peak
// RSS from /proc before stopping it.
func pacedRun(b *testing.B, mq *testbed.Mosquitto, in *testbed.Influx, drops func() int64, sp pacedRunSpec) pacedResult {
	b.Helper()
	id := fmt.Sprintf("paced-%s-%s-%d-%d", sp.mode, sp.broker, sp.rate, sp.devices)
	measurement := "pump"
	if strings.HasPrefix(sp.mode, "telegraf") {
		measurement = "telegraf_pump"
	}
	prepareSessionTopic(b, mq.URL, id, "paced/+")
	dropped0 := drops()
	latFile := filepath.Join(b.TempDir(), "lat.json")
	var cmd *exec.Cmd
	if strings.HasPrefix(sp.mode, "telegraf") {
		conf := filepath.Join(b.TempDir(), "telegraf.conf")
		c := strings.Replace(telegrafConf(mq.URL, in.URL, id), `topics = ["bench/+"]`, `topics = ["paced/+"]`, 1)
		if sp.mode == "telegraf" {
			// Tuned to keep pace: with the default 1,000 undelivered
			// messages and a 1 s flush it reads at most ~1,000 msg/s and
			// falls behind (telegraf-default shows it).
			c += "  max_undelivered_messages = 20000\n"
		}
		if err := os.WriteFile(conf, []byte(c), 0o600); err != nil {
			b.Fatal(err)
		}
		cmd = exec.Command(telegrafBin(), "--config", conf)
	} else {
		cmd = exec.Command(os.Args[0], "-test.run=^TestPacedChild$")
		cmd.Env = append(os.Environ(), benchEnv+"=paced-"+sp.mode, benchURLEnv+"="+mq.URL, benchIDEnv+"="+id,
			benchInfluxEnv+"="+in.URL, pacedDevicesEnv+"="+strconv.Itoa(sp.devices), pacedLatEnv+"="+latFile)
	}
	var log lockedLog
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	time.Sleep(3 * time.Second) // connected and subscribed; start-up CPU not counted
	cpu0, _ := procStats(cmd.Process.Pid)
	pub := newPacedPublisher(b, mq.URL, id)
	polls := pollCount(in, measurement)
	sent := pub.run(sp.rate, sp.devices, time.Duration(sp.secs)*time.Second)
	end := time.Now()
	total := polls.until(len(sent), 15*time.Second)
	cpu1, rss := procStats(cmd.Process.Pid)
	// Distinct messages: a redelivered message is a second point (stamped
	// at its receipt), not a second message.
	stored, err := in.Count(`SELECT count(distinct("flow")) FROM "` + measurement + `"`)
	if err != nil {
		b.Fatal(err)
	}
	r := pacedResult{Mode: sp.mode, Broker: sp.broker, Rate: sp.rate, Devices: sp.devices, Published: len(sent),
		Stored: int(stored), Duplicates: total - stored, CPU: cpu1 - cpu0, RSSKB: rss,
		BacklogSecondsAfterEnd: polls.last().Sub(end).Seconds()}
	r.InfluxP50, r.InfluxP99 = polls.latency(sent)
	// Mosquitto publishes $SYS when now − sys_interval > its last update,
	// in whole seconds: with sys_interval 1 a drop shows up to 3 s late.
	// Read 1.5 s after InfluxDB was done could miss the last drops when
	// the writer kept pace (then InfluxDB is done as publishing ends).
	time.Sleep(max(1500*time.Millisecond, time.Until(end.Add(4*time.Second))))
	r.BrokerDropped = drops() - dropped0
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.Logf("%s did not stop on SIGTERM:\n%s", sp.mode, log.String())
	}
	if raw, err := os.ReadFile(latFile); err == nil {
		var rep childReport
		if json.Unmarshal(raw, &rep) == nil && len(rep.Ms) > 0 {
			ms := rep.Ms
			slices.Sort(ms)
			r.AlarmP50, r.AlarmP99, r.AlarmMax = pct(ms, 0.5), pct(ms, 0.99), ms[len(ms)-1]
			r.Delivered, r.Received, r.Acked = rep.Distinct, rep.Received, rep.Acked
			if rep.ConsumerDropped > 0 {
				b.Logf("%s: the consumer's queue dropped %d points: messages that reached facmon undercounted", sp.mode, rep.ConsumerDropped)
				r.Delivered = 0
			}
		}
	}
	if _, err := in.Query(`DROP MEASUREMENT "` + measurement + `"`); err != nil {
		b.Fatal(err)
	}
	cleanSession(b, mq.URL, id) // or the broker queues (and drops) the next runs' messages for it
	return r
}

func pct(sorted []float64, p float64) float64 {
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// watchDropped follows the broker's count of dropped messages from its
// start and returns a function giving the count now. One watcher per
// broker, subscribed while the count is fresh: Mosquitto 2.0 publishes
// $SYS retained with a 60 s message expiry, and only when a value changes,
// so a subscriber arriving after a minute without drops gets nothing until
// the first drop of its run is published — a baseline taken then misses
// the drops before it (1,000–1,450 in a run at 10,000/s).
func watchDropped(b *testing.B, url, id string) func() int64 {
	var mu sync.Mutex
	v := int64(-1)
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true))
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("$SYS client: %v", tok.Error())
	}
	b.Cleanup(func() { cl.Disconnect(100) })
	tok := cl.Subscribe("$SYS/broker/publish/messages/dropped", 0, func(_ paho.Client, m paho.Message) {
		n, _ := strconv.ParseInt(strings.TrimSpace(string(m.Payload())), 10, 64)
		mu.Lock()
		defer mu.Unlock()
		v = max(v, n)
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("$SYS subscribe: %v", tok.Error())
	}
	now := func() int64 {
		mu.Lock()
		defer mu.Unlock()
		return v
	}
	// The broker publishes the count (0) at its first $SYS interval.
	testsupport.Eventually(b, 30*time.Second, "the broker's $SYS drop count", func() bool { return now() >= 0 })
	return now
}

// prepareSessionTopic makes a fresh persistent session subscribed to topic.
func prepareSessionTopic(b *testing.B, url, id, topic string) {
	b.Helper()
	cleanSession(b, url, id)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(false))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("session %s: %v", id, tok.Error())
	}
	if tok := sub.Subscribe(topic, 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("subscribe %s: %v", id, tok.Error())
	}
	sub.Disconnect(100)
}

// pacedPublisher publishes QoS 1 at a steady rate from one client.
type pacedPublisher struct {
	b  *testing.B
	cl paho.Client
}

func newPacedPublisher(b *testing.B, url, id string) *pacedPublisher {
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id + "-pub").SetCleanSession(true))
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("publisher: %v", tok.Error())
	}
	b.Cleanup(func() { cl.Disconnect(100) })
	return &pacedPublisher{b: b, cl: cl}
}

// run publishes rate messages/s round-robin over the devices for d, each
// carrying its publish time (µs) as "flow", and returns the publish times.
func (p *pacedPublisher) run(rate, devices int, d time.Duration) []time.Time {
	total := int(float64(rate) * d.Seconds())
	sent := make([]time.Time, 0, total)
	toks := make([]paho.Token, 0, total)
	start := time.Now()
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	var last int64 // µs: strictly increasing, so "flow" tells messages apart
	for len(sent) < total {
		<-t.C
		due := min(total, int(float64(rate)*time.Since(start).Seconds()))
		for i := len(sent); i < due; i++ {
			now := time.Now()
			last = max(last+1, now.UnixMicro())
			body := fmt.Sprintf(`{"level":%.2f,"temperature":%.1f,"pressure":%.3f,"running":%t,"flow":%d}`,
				float64(i%1000)/100, 20+float64(i%50)/10, 3+float64(i%7)/1000, i%2 == 0, last)
			toks = append(toks, p.cl.Publish("paced/"+pacedDevice(i%devices), 1, false, body))
			sent = append(sent, now)
		}
	}
	waitTokens(p.b, toks)
	return sent
}

// counter polls the number of points in InfluxDB every 100 ms.
type counter struct {
	mu     sync.Mutex
	at     []time.Time
	n      []int64
	cancel context.CancelFunc
	done   chan struct{}
}

func pollCount(in *testbed.Influx, measurement string) *counter {
	ctx, cancel := context.WithCancel(context.Background())
	c := &counter{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			n, _ := in.Count(`SELECT count("level") FROM "` + measurement + `"`)
			c.mu.Lock()
			c.at, c.n = append(c.at, time.Now()), append(c.n, n)
			c.mu.Unlock()
		}
	}()
	return c
}

// until waits until the count reaches want or stops growing for idle,
// stops polling and returns the count.
func (c *counter) until(want int, idle time.Duration) int64 {
	lastN, lastChange := int64(-1), time.Now()
	for {
		time.Sleep(100 * time.Millisecond)
		c.mu.Lock()
		n := int64(0)
		if len(c.n) > 0 {
			n = c.n[len(c.n)-1]
		}
		c.mu.Unlock()
		if n != lastN {
			lastN, lastChange = n, time.Now()
		}
		if n >= int64(want) || time.Since(lastChange) > idle {
			c.cancel()
			<-c.done
			return n
		}
	}
}

// last is when the count last grew.
func (c *counter) last() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.n) - 1; i > 0; i-- {
		if c.n[i] != c.n[i-1] {
			return c.at[i]
		}
	}
	return time.Now()
}

// latency: message i counts as in InfluxDB at the first poll whose count
// exceeds i (both writers keep a publisher's order closely enough).
func (c *counter) latency(sent []time.Time) (p50, p99 float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ms []float64
	j := 0
	for i, t := range sent {
		for j < len(c.n) && c.n[j] <= int64(i) {
			j++
		}
		if j == len(c.n) {
			break
		}
		ms = append(ms, float64(c.at[j].Sub(t).Microseconds())/1000)
	}
	if len(ms) == 0 {
		return 0, 0
	}
	slices.Sort(ms)
	return pct(ms, 0.5), pct(ms, 0.99)
}

type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func envStr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

func envInts(k, def string) []int {
	var out []int
	for _, f := range strings.Split(envStr(k, def), ",") {
		if v, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			out = append(out, v)
		}
	}
	return out
}
