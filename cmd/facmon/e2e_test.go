package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

// e2eSite is a site of n MQTT devices that each publish a sequence number
// with a device timestamp, stored in the given InfluxDB.
func e2eSite(n int, influxURL, bucket, mqttURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `site: e2e
timezone: Asia/Shanghai
areas:
  - {id: yard, name: 院子}
storage:
  influx: {url: %q, bucket: %q, flush_interval: 200ms}
mqtt:
  url: %q
  client_id: facmon-e2e
  subscriptions:
    - {topic: "seq/{device}", format: json, time: ts, qos: 1}
devices:
`, influxURL, bucket, mqttURL)
	for i := range n {
		fmt.Fprintf(&b, `  - id: dev-%02d
    name: 设备%d
    kind: other
    area: yard
    mqtt: {}
    signals:
      - {name: seq, type: analog, unit: "1"}
`, i, i)
	}
	return b.String()
}

// publisher publishes QoS 1 messages and retries each one until the broker
// acknowledges it, across broker restarts.
type publisher struct {
	t  testing.TB
	cl paho.Client
}

func newPublisher(t testing.TB, url string) *publisher {
	o := paho.NewClientOptions().AddBroker(url).SetClientID("e2e-publisher").SetCleanSession(false).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).
		SetMaxReconnectInterval(200 * time.Millisecond).SetWriteTimeout(2 * time.Second)
	cl := paho.NewClient(o)
	tok := cl.Connect()
	if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("publisher connect: %v", tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	return &publisher{t: t, cl: cl}
}

func (p *publisher) publish(topic string, body []byte) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		tok := p.cl.Publish(topic, 1, false, body)
		if tok.WaitTimeout(2*time.Second) && tok.Error() == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("publish %s: broker never acknowledged", topic)
}

// TestNothingLostAcrossBrokerRestartsAndKill9 is the end-to-end proof of
// "nothing accepted is lost": 10,000 QoS 1 messages with per-device sequence
// numbers through a real Mosquitto into a real InfluxDB 1.8.10, the broker
// restarted twice and facmon killed with SIGKILL once mid-stream; every
// message's point is in InfluxDB afterwards, once.
func TestNothingLostAcrossBrokerRestartsAndKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	const devices, perDevice = 20, 500
	in := testbed.StartInflux(t)
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(cfg, []byte(e2eSite(devices, in.URL, in.Bucket(), mq.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	args := []string{"--config", cfg, "--data-dir", data}
	fm := startFacmon(t, args...)
	// The collector's persistent session must exist before the first
	// publish, or the broker has nowhere to queue while facmon is down.
	testsupport.Eventually(t, 30*time.Second, "facmon subscribed", func() bool { return fm.metric("facmon_mqtt_connected") == "1" }, fm.log)

	pub := newPublisher(t, mq.URL)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	total := devices * perDevice
	var killed *proc
	for i := range total {
		seq, dev := i/devices, i%devices
		ts := t0.Add(time.Duration(seq) * time.Millisecond)
		pub.publish(fmt.Sprintf("seq/dev-%02d", dev), fmt.Appendf(nil, `{"seq":%d,"ts":%d}`, seq, ts.UnixMilli()))
		switch i {
		case total / 4, total / 2:
			mq.Stop()
			mq.Start(t)
		case 3 * total / 4:
			_ = fm.cmd.Process.Signal(syscall.SIGKILL)
			_ = fm.cmd.Wait()
			killed = fm
			fm = startFacmon(t, args...)
		}
	}
	var n int64
	var err error
	ok := testsupport.Within(90*time.Second, func() bool {
		n, err = in.Count(`SELECT count(seq) FROM other`)
		return err == nil && n == int64(total)
	})
	if !ok {
		if killed != nil {
			t.Logf("log of the killed facmon:\n%s", killed.log.String())
		}
		t.Fatalf("InfluxDB has %d of %d points (err %v); facmon metrics:\n%s\nlog:\n%s", n, total, err,
			grepLines(httpGet(fm.url("/metrics")), "facmon_points", "facmon_mqtt", "facmon_spool", "facmon_write"), fm.log.String())
	}
	_ = killed
	for dev := range devices {
		r, err := in.Query(fmt.Sprintf(`SELECT seq FROM other WHERE device='dev-%02d'`, dev))
		if err != nil {
			t.Fatal(err)
		}
		rows := r.Results[0].Series[0].Values
		if len(rows) != perDevice {
			t.Fatalf("dev-%02d: %d points, want %d", dev, len(rows), perDevice)
		}
		for i, row := range rows {
			if int(row[1].(float64)) != i {
				t.Fatalf("dev-%02d: point %d has seq %v (missing or out of order)", dev, i, row[1])
			}
		}
	}
}

func grepLines(text string, prefixes ...string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
