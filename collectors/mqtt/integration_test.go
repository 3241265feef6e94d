package mqtt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/collectors"
	"facmon/deploy/testbed"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// runCollector runs a real collector until the test ends.
func runCollector(t testing.TB, o Options) *Collector {
	t.Helper()
	if o.ReconnectMax == 0 {
		o.ReconnectMax = time.Second
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = c.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return c
}

// testPublisher connects a plain paho client that publishes like a device.
func testPublisher(t testing.TB, url, id string, tune func(*paho.ClientOptions)) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true).SetAutoReconnect(true).
		SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).SetMaxReconnectInterval(time.Second)
	if tune != nil {
		tune(o)
	}
	cl := paho.NewClient(o)
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publisher connect to %s: %v", url, tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	return cl
}

func mustPublish(t testing.TB, cl paho.Client, topic, body string, retained bool) {
	t.Helper()
	tok := cl.Publish(topic, 1, retained, body)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func TestMosquittoEndToEnd(t *testing.T) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	sink := &memSink{}
	c := runCollector(t, Options{Site: testSite(broker.URL), Sink: sink})
	testsupport.Eventually(t, 10*time.Second, "collector connected", func() bool { return testutil.ToFloat64(c.metrics.connected) == 1 })
	pub := testPublisher(t, broker.URL, "device-sim", nil)
	msgs := []struct{ topic, body string }{
		{"estate/pump-room/tank/tank-1/level", "250"},
		{"estate/bins/bin-1", `{"data":{"fill":81.5},"lid":"open","tilt":true,"ts":1795755598}`},
		{"estate/rooms/room-1/flood", "OFF"},
		{"estate/lp/pumps", "pump,device=pump-1 running=t,current=12.5"},
		{"estate/doors/gate/state", "true"},
		{"estate/bins/bin-1", `{"data":{"fill":`}, // malformed: counted, acked, not stored
	}
	for _, m := range msgs {
		mustPublish(t, pub, m.topic, m.body, false)
	}
	testsupport.Eventually(t, 10*time.Second, "all messages acked", func() bool { return testutil.ToFloat64(c.metrics.acked) == float64(len(msgs)) })
	want := map[string]pv{
		"tank-1/level": {"tank-1", "level", 2.5, false}, "bin-1/fill": {"bin-1", "fill", 81.5, false},
		"bin-1/lid": {"bin-1", "lid", 1, false}, "bin-1/tilt": {"bin-1", "tilt", 1, true},
		"room-1/flood": {"room-1", "flood", 0, true}, "pump-1/running": {"pump-1", "running", 1, true},
		"pump-1/current": {"pump-1", "current", 12.5, false}, "door-1/open": {"door-1", "open", 1, true},
	}
	got := map[string]collectors.Point{}
	for _, p := range sink.snapshot() {
		if p.Signal != collectors.StatusSignal {
			got[p.Device+"/"+p.Signal] = p
		}
	}
	for k, w := range want {
		p, ok := got[k]
		if !ok || p.Value != w.value || p.Bool != w.isBool {
			t.Errorf("%s = %+v (present %v), want %+v", k, p, ok, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d distinct signals, want %d", len(got), len(want))
	}
	if v := testutil.ToFloat64(c.metrics.payloadErrors.WithLabelValues("syntax")); v != 1 {
		t.Errorf("payload errors{syntax} = %v, want 1", v)
	}
	if st := statusOf(c, "bin-1"); st.Status != collectors.Fault || st.LastError == "" {
		t.Errorf("bin-1 status after a malformed payload = %+v", st)
	}
	checkRetainedStatus(t, c, broker.URL)
}

// checkRetainedStatus publishes a status through the collector's own
// connection and reads it back, retained, with a fresh subscriber.
func checkRetainedStatus(t *testing.T, c *Collector, url string) {
	t.Helper()
	p := c.Publisher()
	if err := p.PublishStatus(t.Context(), "bin-1", collectors.Offline, time.Now(), "timeout"); err != nil {
		t.Fatalf("PublishStatus: %v", err)
	}
	got := make(chan []byte, 1)
	sub := testPublisher(t, url, "status-reader", nil)
	sub.Subscribe("facmon/demo/status/+", 1, func(_ paho.Client, m paho.Message) {
		if m.Retained() {
			select {
			case got <- m.Payload():
			default:
			}
		}
	})
	select {
	case b := <-got:
		var m StatusMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("retained status %s: %v", b, err)
		}
		// the group centre shows the names the site file writes
		want := StatusMessage{Site: "demo", Device: "bin-1", Status: "offline", Error: "timeout", Time: m.Time,
			DeviceNames: DeviceNames{Name: "东区垃圾桶1", Kind: "bin", Area: "east", AreaName: "东区"}}
		if m != want {
			t.Fatalf("retained status %s, want %+v", b, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no retained status message")
	}
}

func TestMosquittoPasswordAndTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := writeCA(t, dir)
	writeLeaf(t, dir, "server", ca, caKey, true)
	writeLeaf(t, dir, "client", ca, caKey, false)
	pw := filepath.Join(dir, "passwd")
	if out, err := exec.Command("mosquitto_passwd", "-b", "-c", pw, "facmon", "s3cret").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v: %s", err, out)
	}
	// Mosquitto started as root drops to its own user: let it read these.
	for _, p := range []string{filepath.Dir(dir), dir, pw} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tlsPort := testbed.FreePort(t)
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{Extra: fmt.Sprintf(`allow_anonymous false
password_file %s
listener %d 127.0.0.1
cafile %s/ca.pem
certfile %s/server.pem
keyfile %s/server-key.pem
require_certificate true
`, pw, tlsPort, dir, dir, dir)})
	tests := []struct {
		name string
		url  string
		tls  *site.TLS
	}{
		{"password", broker.URL, nil},
		{"password and client certificate", fmt.Sprintf("ssl://127.0.0.1:%d", tlsPort),
			&site.TLS{CAFile: dir + "/ca.pem", CertFile: dir + "/client.pem", KeyFile: dir + "/client-key.pem"}},
	}
	t.Run("wrong password", func(t *testing.T) {
		s := testSite(broker.URL)
		s.MQTT.Username, s.MQTT.Password, s.MQTT.ClientID = "facmon", "guess", "facmon-wrong"
		c := runCollector(t, Options{Site: s, Sink: &memSink{}})
		testsupport.Eventually(t, 20*time.Second, "connection attempts retried", func() bool { return testutil.ToFloat64(c.metrics.reconnects) >= 2 })
		if v := testutil.ToFloat64(c.metrics.connected); v != 0 {
			t.Errorf("connected = %v with a wrong password", v)
		}
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSite(tc.url)
			s.MQTT.Username, s.MQTT.Password, s.MQTT.TLS = "facmon", "s3cret", tc.tls
			s.MQTT.ClientID = "facmon-" + tc.name
			c := runCollector(t, Options{Site: s, Sink: &memSink{}})
			testsupport.Eventually(t, 10*time.Second, "connected with credentials", func() bool { return testutil.ToFloat64(c.metrics.connected) == 1 })
		})
	}
}

func writeCA(t *testing.T, dir string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "facmon test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", der)
	ca, _ := x509.ParseCertificate(der)
	return ca, key
}

func writeLeaf(t *testing.T, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, server bool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, name+".pem"), "CERTIFICATE", der)
	kb, _ := x509.MarshalECPrivateKey(key)
	writePEM(t, filepath.Join(dir, name+"-key.pem"), "EC PRIVATE KEY", kb)
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// slowSink accepts after a delay, like a spool on a slow disk.
type slowSink struct {
	memSink
	delay time.Duration
}

func (s *slowSink) Publish(ctx context.Context, b []collectors.Point) error {
	time.Sleep(s.delay)
	return s.memSink.Publish(ctx, b)
}

// TestBackPressureNoDeadlock: a tiny queue and a slow sink make the
// paho handler wait for room on most messages; with in-order delivery
// and manual acks that must neither deadlock nor lose a message, also
// across a broker restart.
func TestBackPressureNoDeadlock(t *testing.T) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	sink := &slowSink{delay: time.Millisecond}
	c := runCollector(t, Options{Site: testSite(broker.URL), Sink: sink, QueueSize: 2, MaxBatch: 4})
	testsupport.Eventually(t, 10*time.Second, "collector connected", func() bool { return testutil.ToFloat64(c.metrics.connected) == 1 })
	pub := testPublisher(t, broker.URL, "backpressure-pub", func(o *paho.ClientOptions) { o.SetCleanSession(false) })
	const n = 2000
	toks := make([]paho.Token, 0, n)
	for i := range n {
		if i == n/2 {
			broker.Stop()
			broker.Start(t)
		}
		toks = append(toks, pub.Publish("estate/rooms/room-1/temperature", 1, false, strconv.Itoa(i)))
		if i == n/2-1 {
			waitTokens(t, toks)
			toks = toks[:0]
		}
	}
	waitTokens(t, toks)
	seen := map[float64]bool{}
	testsupport.Eventually(t, 30*time.Second, "every value stored", func() bool {
		for _, p := range sink.snapshot() {
			if p.Signal == "temperature" {
				seen[p.Value] = true
			}
		}
		return len(seen) == n
	})
	if v := testutil.ToFloat64(c.metrics.reconnects); v < 1 {
		t.Errorf("reconnects = %v after a broker restart", v)
	}
}
