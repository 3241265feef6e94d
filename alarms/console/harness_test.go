package console_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

const chromium = "/usr/bin/chromium"

// XSSName is a device name that would run script if inserted as HTML.
const xssName = `<img src=x onerror=alert(1)>`

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// facmonBinary builds cmd/facmon once per test run.
func facmonBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if bin := os.Getenv("FACMON_BIN"); bin != "" {
			binPath = bin
			return
		}
		dir, err := os.MkdirTemp("", "facmon-console-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "facmon")
		out, err := exec.Command("go", "build", "-o", binPath, "facmon/cmd/facmon").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// needBrowser skips when the machine has no Chromium or in -short runs.
func needBrowser(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no " + chromium)
	}
}

// siteOptions shape the test site.
type siteOptions struct {
	mqttURL string
	bench   int    // perimeter devices bench-000… for the latency run
	load    int    // devices load-00… with 10 analog signals each
	tls     bool   // serve HTTPS with a fresh self-signed certificate
	idle    string // http.idle_lock
}

// writeSite writes a site with a perimeter zone, an XSS-named device and
// the perimeter rule into dir and returns the site file.
func writeSite(t testing.TB, dir string, o siteOptions) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `site: ctest
name: 测试小区
timezone: Asia/Shanghai
plan: {width: 1000, height: 600}
areas:
  - {id: north-wall, name: 北围墙, map: {x: 40, y: 20, w: 920, h: 110}}
  - {id: yard, name: 院子, map: {x: 40, y: 170, w: 920, h: 400}}
zones:
  - {id: zone-n1, name: 北围墙1防区, kind: perimeter, area: north-wall, devices: [north-wall-1], camera: "http://nvr.local/cam/1", map: {x: 60, y: 60, w: 420, h: 50}}
  - {id: zone-n2, name: 北围墙2防区, kind: perimeter, area: north-wall, devices: [north-wall-2], camera: "http://nvr.local/cam/2", map: {x: 520, y: 60, w: 420, h: 50}}
  - {id: home-1201, name: 3号楼1201室, kind: inhome, area: yard, devices: [home-3-1201], always_armed: true, household: 3号楼1201室 王老先生（独居）, map: {x: 60, y: 200, w: 100, h: 60}}
mqtt:
  url: %q
  client_id: facmon-console-test
  subscriptions:
    - {topic: "estate/perimeter/{device}", format: json, qos: 1}
    - {topic: "estate/load/{device}", format: json, qos: 0}
    - {topic: "estate/homes/{device}", format: json, qos: 1}
devices:
  - {id: home-3-1201, name: 3号楼1201室家庭报警, kind: home_alarm, area: yard, labels: {room: 3-1201, household: 王老先生（独居）}, mqtt: {},
     signals: [{name: alarm, type: state, states: {0: normal, 1: intrusion, 2: emergency}}]}
`, o.mqttURL)
	zone := func(id, name, area string) {
		fmt.Fprintf(&b, "  - {id: %s, name: %q, kind: perimeter_zone, area: %s, mqtt: {}, signals: [{name: alarm, type: state, states: {0: normal, 1: alarm}}]}\n", id, name, area)
	}
	zone("north-wall-1", "北围墙1防区探测器", "north-wall")
	zone("north-wall-2", "北围墙2防区探测器", "north-wall")
	zone("xss-zone", xssName, "yard")
	zone("yard-beam", "院子对射", "yard")
	for i := range o.bench {
		zone(fmt.Sprintf("bench-%03d", i), fmt.Sprintf("测试探测器%d", i), "yard")
	}
	for i := range o.load {
		fmt.Fprintf(&b, "  - id: load-%02d\n    name: 负载%d\n    kind: other\n    area: yard\n    mqtt: {}\n    signals:\n", i, i)
		for s := range 10 {
			fmt.Fprintf(&b, "      - {name: s%d, type: analog, unit: \"1\"}\n", s)
		}
	}
	b.WriteString("http:\n")
	if o.tls {
		writeCert(t, dir)
		b.WriteString("  tls: {cert_file: tls.crt, key_file: tls.key}\n")
	}
	if o.idle != "" {
		fmt.Fprintf(&b, "  idle_lock: %s\n", o.idle)
	}
	b.WriteString("rules: [rules.yaml]\n")
	rules := `rules:
  - name: perimeter-zone-alarm
    severity: critical
    cite: 篇3·二十二·3
    select: {kind: perimeter_zone}
    signal: alarm
    message: '周界报警：{{.DeviceName}}'
    action: '派保安到{{.DeviceName}}查看'
    state: {equals: 1}
  - name: home-alarm-emergency
    severity: critical
    cite: 篇3·十九·1
    select: {kind: home_alarm}
    signal: alarm
    message: '户内报警【紧急求助】{{.DeviceLabels.room}}室 {{.DeviceLabels.household}}'
    state: {equals: emergency}
`
	site := filepath.Join(dir, "site.yaml")
	for name, body := range map[string]string{site: b.String(), filepath.Join(dir, "rules.yaml"): rules} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return site
}

// facmon is a running facmon process.
type facmon struct {
	t    testing.TB
	bin  string
	args []string
	addr string
	cmd  *exec.Cmd
	log  *testsupport.LockedBuffer
	// scheme is http or https.
	scheme string
}

// startFacmon adds the users op (operator) and eng (engineer) and starts
// `facmon run` on a free port.
func startFacmon(t testing.TB, site, data string) *facmon {
	return startFacmonScheme(t, site, data, "http")
}

// startFacmonScheme is startFacmon for a site served over scheme.
func startFacmonScheme(t testing.TB, site, data, scheme string) *facmon {
	t.Helper()
	bin := facmonBinary(t)
	for _, u := range [][2]string{{"op", "operator"}, {"eng", "engineer"}} {
		cmd := exec.Command(bin, "user", "add", u[0], "--role", u[1], "--data-dir", data)
		cmd.Stdin = strings.NewReader(u[0] + "-password\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("user add %s: %v\n%s", u[0], err, out)
		}
	}
	f := &facmon{t: t, bin: bin, addr: fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t)), log: &testsupport.LockedBuffer{}, scheme: scheme}
	f.args = []string{"run", "--config", site, "--data-dir", data, "--log-level", "debug"}
	f.start()
	t.Cleanup(f.stop)
	return f
}

func (f *facmon) url(path string) string { return f.scheme + "://" + f.addr + path }

// start runs the process and waits until its MQTT collector is connected.
func (f *facmon) start() {
	f.t.Helper()
	f.cmd = exec.Command(f.bin, append(f.args, "--listen", f.addr)...)
	f.cmd.Stdout, f.cmd.Stderr = f.log, f.log
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := f.cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	f.waitFor(30*time.Second, "MQTT connected", func() bool {
		return strings.Contains(get(f.url("/metrics"), "op", "op-password"), "\nfacmon_mqtt_connected 1")
	})
}

// stop ends the process with SIGTERM.
func (f *facmon) stop() {
	if f.cmd == nil || f.cmd.Process == nil {
		return
	}
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
	f.cmd = nil
}

func (f *facmon) waitFor(d time.Duration, what string, cond func() bool) {
	f.t.Helper()
	testsupport.Eventually(f.t, d, what+"; facmon log:", cond, f.log.Last(6000))
}

// client trusts any certificate: the TLS test's is self-signed, on loopback.
var client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // test's own self-signed loopback certificate
}}

// writeCert writes a self-signed certificate for 127.0.0.1 as tls.crt and
// tls.key into dir.
func writeCert(t testing.TB, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "facmon test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	crt := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	k := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	for name, b := range map[string][]byte{"tls.crt": crt, "tls.key": k} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// get fetches a URL, with Basic credentials if user is set; "" on error.
func get(url, user, pw string) string {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if user != "" {
		req.SetBasicAuth(user, pw)
	}
	resp, err := client.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// status is the status of a GET with Basic credentials (0 on error).
func status(url, user, pw string) int {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth(user, pw)
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// post sends a JSON body with Basic credentials and returns the status.
func post(url, user, pw, body string) int {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, pw)
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// mqttClient connects a QoS 1 publisher to the broker.
func mqttClient(t testing.TB, url string) paho.Client {
	t.Helper()
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("console-test-pub").SetCleanSession(true).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond))
	if tok := cl.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatalf("mqtt connect: %v", tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	return cl
}

func publish(t testing.TB, cl paho.Client, device string, alarm int) {
	t.Helper()
	tok := cl.Publish("estate/perimeter/"+device, 1, false, fmt.Sprintf(`{"alarm":%d}`, alarm))
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", device, tok.Error())
	}
}

// browser is a headless Chromium tab; dialogs are accepted and recorded.
type browser struct {
	ctx     context.Context
	mu      sync.Mutex
	dialogs []string
}

func newBrowser(t testing.TB) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1600, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	// The browser's machine is in UTC, the test site in Asia/Shanghai: the
	// console must show site time whatever the browser's zone.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"}); err != nil {
		t.Fatalf("browser time zone: %v", err)
	}
	b := &browser{ctx: ctx}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

func (b *browser) dialogSeen(msg string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.dialogs {
		if strings.Contains(m, msg) {
			return true
		}
	}
	return false
}

// do runs actions with a deadline.
func (b *browser) do(t testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JS expression (promises awaited) into T.
func eval[T any](t testing.TB, b *browser, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// until polls a JS condition in the page until it is true.
func until(t testing.TB, b *browser, d time.Duration, what, js string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !eval[bool](t, b, "!!("+js+")") {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (%s)", what, js)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// login opens the console and logs in.
func (b *browser) login(t testing.TB, f *facmon, user string) {
	t.Helper()
	b.do(t, "login",
		chromedp.Navigate(f.url("/")),
		chromedp.WaitVisible(chromedp.ID("login-user")),
		chromedp.SetValue(chromedp.ID("login-user"), user),
		chromedp.SetValue(chromedp.ID("login-password"), user+"-password"),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("app")),
	)
	until(t, b, 10*time.Second, "event stream connected", `window.facmon.connected && window.facmon.site`)
}

// screenshot saves the page as a PNG (outside the repository).
func (b *browser) screenshot(t testing.TB, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}
