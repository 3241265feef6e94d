package mqtt

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/collectors"
	"facmon/deploy/testbed"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// The no-loss test's load: devices × messages each, QoS 1, with a
// per-device sequence number as the payload.
const (
	lossDevices  = 20
	lossPerDev   = 500
	lossMessages = lossDevices * lossPerDev
	childURLEnv  = "FACMON_MQTT_CHILD_URL"
	childFileEnv = "FACMON_MQTT_CHILD_FILE"
	// childStallEnv makes the first child's sink stall (never accept)
	// once dev-00 reaches that sequence number, and say so in a file: the
	// SIGKILL then lands with hundreds of messages received, unstored.
	childStallEnv = "FACMON_MQTT_CHILD_STALL"
	// childInfluxEnv makes the child store through the real spool and
	// InfluxDB writer (childFileEnv is then the spool directory).
	childInfluxEnv = "FACMON_MQTT_CHILD_INFLUX"
	lossStallSeq   = lossPerDev/2 - 10
)

// lossSite has lossDevices devices whose seq signal arrives as a plain
// number on load/<device>/seq.
func lossSite(url string) *site.Site {
	s := &site.Site{ID: "loss", MQTT: site.MQTT{URL: url, ClientID: "facmon-loss-test",
		Subscriptions: []site.Subscription{{Topic: "load/{device}/seq", QoS: 1, Format: "plain", Signal: "seq"}}}}
	for i := range lossDevices {
		s.Devices = append(s.Devices, site.Device{ID: fmt.Sprintf("dev-%02d", i), Kind: "counter_test", Area: "lab",
			Signals: []site.Signal{{Name: "seq", Type: site.Counter, Unit: "1"}}})
	}
	return s
}

// fileSink is a durable sink for the test: one JSON line per point,
// fsync'd before Publish returns — the contract of the real spool.
type fileSink struct {
	mu sync.Mutex
	f  *os.File
	w  *bufio.Writer
}

// openFileSink opens path for appending after cutting off a line torn by
// a crash, as a real spool's recovery does.
func openFileSink(path string) (*fileSink, error) {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	keep := bytes.LastIndexByte(b, '\n') + 1
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(int64(keep)); err != nil {
		return nil, err
	}
	if _, err := f.Seek(int64(keep), 0); err != nil {
		return nil, err
	}
	return &fileSink{f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

type pointRecord struct {
	Device string  `json:"d"`
	Signal string  `json:"s"`
	Value  float64 `json:"v"`
}

// stallSink passes batches on until one holds dev-00's lossStallSeq;
// then it writes the marker file and never accepts again, so that the
// SIGKILL lands with hundreds of messages received but not stored.
type stallSink struct {
	next   collectors.Sink
	marker string
}

func (s *stallSink) Publish(ctx context.Context, batch []collectors.Point) error {
	for _, p := range batch {
		if p.Device == "dev-00" && p.Signal == "seq" && p.Value >= lossStallSeq {
			_ = os.WriteFile(s.marker, nil, 0o644)
			<-ctx.Done() // until SIGKILL
			return ctx.Err()
		}
	}
	return s.next.Publish(ctx, batch)
}

func (s *fileSink) Publish(_ context.Context, batch []collectors.Point) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range batch {
		b, _ := json.Marshal(pointRecord{p.Device, p.Signal, p.Value})
		s.w.Write(append(b, '\n'))
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	return s.f.Sync()
}

// TestChildCollector is the collector process of the no-loss tests; it
// runs only when they start it. Its sink is the test's file sink, or with
// childInfluxEnv set facmon's real path: the InfluxDB writer on its spool.
func TestChildCollector(t *testing.T) {
	url := os.Getenv(childURLEnv)
	if url == "" {
		t.Skip("runs as the child of TestNoLossAcrossRestarts")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	sink, err := childSink(ctx, t)
	if err != nil {
		t.Fatal(err)
	}
	if m := os.Getenv(childStallEnv); m != "" {
		sink = &stallSink{next: sink, marker: m}
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := New(Options{Site: lossSite(url), Sink: sink, Logger: log, ReconnectMax: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Run(ctx)
}

func childSink(ctx context.Context, t *testing.T) (collectors.Sink, error) {
	influxURL := os.Getenv(childInfluxEnv)
	if influxURL == "" {
		return openFileSink(os.Getenv(childFileEnv))
	}
	w, run, err := spoolWriter(os.Getenv(childFileEnv), influxURL)
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Go(func() { run(ctx) })
	t.Cleanup(wg.Wait)
	return w, nil
}

// child is a collector process that can be killed and started again.
type child struct {
	t        *testing.T
	url, out string
	influx   string // InfluxDB URL: the real spool and writer; "" the file sink
	stall    string // the first start stalls its sink; later ones do not
	cmd      *exec.Cmd
	log      bytes.Buffer
}

func (c *child) start() {
	c.t.Helper()
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestChildCollector$")
	c.cmd.Env = append(os.Environ(), childURLEnv+"="+c.url, childFileEnv+"="+c.out, childStallEnv+"="+c.stall,
		childInfluxEnv+"="+c.influx)
	c.stall = ""
	c.cmd.Stderr, c.cmd.Stdout = &c.log, &c.log
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		c.t.Fatalf("start child collector: %v", err)
	}
}

func (c *child) stop(sig syscall.Signal) {
	_ = c.cmd.Process.Signal(sig)
	_ = c.cmd.Wait()
}

// storedFunc says which (device, seq) pairs have a point in the store,
// and how many points there are (duplicates included).
type storedFunc func() (seen map[string]bool, points int)

// fileStored reads the file sink.
func fileStored(path string) storedFunc {
	return func() (map[string]bool, int) { return readFileSink(path) }
}

// influxStored asks InfluxDB for every seq point.
func influxStored(t *testing.T, in *testbed.Influx) storedFunc {
	return func() (map[string]bool, int) {
		r, err := in.Query(`SELECT "seq" FROM "counter_test" GROUP BY "device"`)
		if err != nil || len(r.Results) == 0 {
			return nil, 0
		}
		seen, n := map[string]bool{}, 0
		for _, ser := range r.Results[0].Series {
			for _, row := range ser.Values {
				if v, ok := row[1].(float64); ok {
					seen[ser.Tags["device"]+"/"+strconv.Itoa(int(v))] = true
					n++
				}
			}
		}
		return seen, n
	}
}

// readFileSink reads the sink file: which (device, seq) pairs are in it.
func readFileSink(path string) (seen map[string]bool, lines int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0
	}
	seen = map[string]bool{}
	for _, l := range bytes.Split(b, []byte("\n")) {
		var r pointRecord
		if json.Unmarshal(l, &r) == nil && r.Signal == "seq" {
			seen[r.Device+"/"+strconv.Itoa(int(r.Value))] = true
			lines++
		}
	}
	return seen, lines
}

// TestNoLossAcrossRestarts is the must-show: 10,000 QoS 1
// messages with per-device sequence numbers; the broker is restarted
// twice mid-stream and the collector process is killed with SIGKILL once
// mid-stream and started again; every message's point must be stored —
// in an fsync'd file, and through facmon's real spool and writer in a
// real InfluxDB 1.8.10.
func TestNoLossAcrossRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	t.Run("file sink", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "points.jsonl")
		noLoss(t, &child{out: out}, fileStored(out))
	})
	t.Run("spool to InfluxDB", func(t *testing.T) {
		in := testbed.StartInflux(t)
		noLoss(t, &child{out: t.TempDir(), influx: in.URL}, influxStored(t, in))
	})
}

func noLoss(t *testing.T, ch *child, stored storedFunc) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	stall := filepath.Join(t.TempDir(), "stalled")
	ch.t, ch.url, ch.stall = t, broker.URL, stall
	ch.start()
	t.Cleanup(func() {
		ch.stop(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("child log:\n%s", ch.log.String())
		}
	})
	pub := testPublisher(t, broker.URL, "loss-publisher", func(o *paho.ClientOptions) { o.SetCleanSession(false) })
	warmUp(t, pub, stored)
	events := map[int]func(){
		lossMessages / 4: func() { t.Log("broker restart 1"); broker.Stop(); broker.Start(t) },
		lossMessages / 2: func() {
			testsupport.Eventually(t, 20*time.Second, "child sink stalled", func() bool { _, err := os.Stat(stall); return err == nil })
			t.Log("SIGKILL collector, its sink stalled with hundreds of messages received")
			ch.stop(syscall.SIGKILL)
			ch.start()
		},
		lossMessages * 3 / 4: func() { t.Log("broker restart 2"); broker.Stop(); broker.Start(t) },
	}
	start := time.Now()
	publishLoad(t, pub, events)
	t.Logf("published %d messages in %v", lossMessages, time.Since(start).Round(time.Millisecond))
	var seen map[string]bool
	var points int
	for deadline := time.Now().Add(40 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if seen, points = stored(); len(seen) >= lossMessages+1 { // + the warm-up point
			break
		}
	}
	if missing := missingSeqs(seen); len(missing) > 0 {
		t.Fatalf("%d of %d messages have no point in the store: %v", len(missing), lossMessages, missing[:min(len(missing), 20)])
	}
	t.Logf("all %d messages stored after %v (%d points, %d from redeliveries)",
		lossMessages, time.Since(start).Round(time.Millisecond), points, points-len(seen))
}

func missingSeqs(seen map[string]bool) []string {
	var missing []string
	for d := range lossDevices {
		for s := 1; s <= lossPerDev; s++ {
			if k := fmt.Sprintf("dev-%02d/%d", d, s); !seen[k] {
				missing = append(missing, k)
			}
		}
	}
	return missing
}

// warmUp waits until the child has subscribed: its persistent session
// must exist before the load starts, or the broker would not queue for it.
func warmUp(t *testing.T, pub paho.Client, stored storedFunc) {
	t.Helper()
	testsupport.Eventually(t, 30*time.Second, "child collector subscribed", func() bool {
		mustPublish(t, pub, "load/dev-00/seq", "-1", false)
		seen, _ := stored()
		return seen["dev-00/-1"]
	})
}

// publishLoad publishes every device's sequence in windows of in-flight
// QoS 1 messages, republishing any the broker did not acknowledge (a
// restart in between), and runs each event when its message count is
// reached.
func publishLoad(t *testing.T, pub paho.Client, events map[int]func()) {
	t.Helper()
	const window = 200
	for i := 0; i < lossMessages; i += window {
		for j := i; j < i+window && j < lossMessages; j++ {
			if ev := events[j]; ev != nil && j > 0 {
				ev()
			}
		}
		publishWindow(t, pub, i, min(i+window, lossMessages))
	}
}

func publishWindow(t *testing.T, pub paho.Client, from, to int) {
	t.Helper()
	pending := make(map[int]paho.Token, to-from)
	send := func(n int) {
		dev, seq := n%lossDevices, n/lossDevices+1
		pending[n] = pub.Publish(fmt.Sprintf("load/dev-%02d/seq", dev), 1, false, strconv.Itoa(seq))
	}
	for n := from; n < to; n++ {
		send(n)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("publisher: %d messages never acknowledged by the broker", len(pending))
		}
		for n, tok := range pending {
			if !tok.WaitTimeout(2 * time.Second) {
				continue
			}
			if tok.Error() != nil {
				send(n) // the broker restarted under it: again
				continue
			}
			delete(pending, n)
		}
	}
}
