package check

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"facmon/collectors/sim/modbussim"
	"facmon/deploy/testbed"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// metricsSite is a small site: two pumps on one Modbus TCP gateway (the
// second answers every request with an exception, so the per-device error
// counter has a series) and a room sensor over MQTT (one good and one bad
// payload), written to InfluxDB.
const metricsSite = `site: metrics
name: 指标测试
timezone: Asia/Shanghai
areas:
  - {id: pump-room, name: 水泵房}
modbus:
  gateways:
    - {id: plc, transport: tcp, address: %q, timeout: 500ms}
devices:
  - id: pump-1
    name: 1号泵
    kind: pump
    area: pump-room
    modbus: {gateway: plc, unit: 1, interval: 200ms}
    signals:
      - {name: running, type: state, states: {0: stopped, 1: running}, modbus: {table: discrete, address: 0}}
      - {name: current, type: analog, unit: A, modbus: {table: holding, address: 0, type: uint16}}
  - id: pump-2
    name: 2号泵
    kind: pump
    area: pump-room
    modbus: {gateway: plc, unit: 2, interval: 200ms}
    signals:
      - {name: current, type: analog, unit: A, modbus: {table: holding, address: 0, type: uint16}}
  - id: room-1
    name: 水泵房环境
    kind: room
    area: pump-room
    mqtt: {timeout: 1m}
    signals:
      - {name: temperature, type: analog, unit: °C}
storage:
  influx: {url: %q, bucket: %q, flush_interval: 100ms}
mqtt:
  url: %q
  client_id: facmon-metrics
  subscriptions:
    - {topic: "env/{device}", format: json, qos: 1}
`

// TestDashboardMetricsExist starts the real facmon binary on a site with
// Modbus (facmon's Modbus simulator), MQTT (real Mosquitto, restarted
// once) and InfluxDB 1.8.10, scrapes /metrics, and checks that every
// facmon_ metric the "facmon itself" dashboard queries is exposed, with
// the labels its queries group and name series by.
func TestDashboardMetricsExist(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs facmon")
	}
	d, err := Load("../facmon.json")
	if err != nil {
		t.Fatal(err)
	}
	exposed := scrapeRunningFacmon(t)
	checked := 0
	for _, q := range d.Queries {
		if q.Kind != PanelProm && q.Kind != VariableProm {
			continue
		}
		for _, m := range metricNames(q.Text) {
			checked++
			labels, ok := exposed[m]
			if !ok {
				t.Errorf("%s: metric %s is not in facmon's /metrics", q.Where, m)
				continue
			}
			for _, l := range usedLabels(q.Text, q.Legend) {
				if !labels[l] {
					t.Errorf("%s: metric %s has no label %q (has %v)", q.Where, m, l, labels)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no metrics in facmon.json")
	}
	t.Logf("%d metric references checked against /metrics", checked)
}

var (
	metricName  = regexp.MustCompile(`\bfacmon_[a-z0-9_]+`)
	byClause    = regexp.MustCompile(`by \(([^)]*)\)`)
	legendLabel = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)
	// scrapeLabels are added by Prometheus, not by facmon.
	scrapeLabels = map[string]bool{"instance": true, "job": true}
)

func metricNames(expr string) []string { return metricName.FindAllString(expr, -1) }

// usedLabels are the labels an expression groups by and its legend
// names, apart from the ones Prometheus adds.
func usedLabels(expr, legend string) []string {
	var names []string
	for _, m := range byClause.FindAllStringSubmatch(expr, -1) {
		names = append(names, strings.Split(m[1], ",")...)
	}
	for _, m := range legendLabel.FindAllStringSubmatch(legend, -1) {
		names = append(names, m[1])
	}
	var out []string
	for _, l := range names {
		if l = strings.TrimSpace(l); l != "" && !scrapeLabels[l] && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// scrapeRunningFacmon runs facmon and returns its metrics (sample names,
// with _bucket/_sum/_count as they are exposed) and their labels, once
// the labelled series the dashboard needs are there.
func scrapeRunningFacmon(t *testing.T) map[string]map[string]bool {
	in := testbed.StartInflux(t)
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	plc := fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))
	dir := t.TempDir()
	cfg := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, metricsSite, plc, in.URL, in.Bucket(), mq.URL), 0o644); err != nil {
		t.Fatal(err)
	}
	startModbus(t, cfg)
	fm := startFacmon(t, buildFacmon(t), cfg, filepath.Join(dir, "data"))
	publishRoom(t, mq.URL, `{"temperature": 24.5}`)
	publishRoom(t, mq.URL, `not json`) // a payload error: its labelled counter appears
	waitMetric(t, fm, "facmon_mqtt_connected", func(v float64) bool { return v == 1 })
	mq.Stop()
	mq.Start(t)
	waitMetric(t, fm, "facmon_mqtt_reconnects_total", func(v float64) bool { return v >= 1 })
	waitMetric(t, fm, `facmon_modbus_errors_total{device="pump-2"`, func(v float64) bool { return v > 0 })
	waitMetric(t, fm, "facmon_write_duration_seconds_count", func(v float64) bool { return v > 0 })
	waitMetric(t, fm, "facmon_mqtt_payload_errors_total", func(v float64) bool { return v > 0 })
	return parseExposition(fm.get("/metrics"))
}

// startModbus serves the site's Modbus devices; pump-2 answers every
// request with exception 4 (server device failure).
func startModbus(t *testing.T, cfg string) {
	s, err := site.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sim, err := modbussim.StartSite(ctx, s, modbussim.SiteOptions{})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })
	if err := sim.Set("pump-1", "current", 12); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetFault("pump-2", modbussim.Fault{Kind: modbussim.Exception, Code: 4}); err != nil {
		t.Fatal(err)
	}
}

// buildFacmon builds cmd/facmon into a temporary folder.
func buildFacmon(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "facmon")
	cmd := exec.Command("go", "build", "-o", bin, "facmon/cmd/facmon")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build facmon/cmd/facmon: %v\n%s", err, out)
	}
	return bin
}

// facmonProc is a running facmon.
type facmonProc struct {
	addr string
	log  *testsupport.LockedBuffer
}

func startFacmon(t *testing.T, bin, cfg, data string) *facmonProc {
	p := &facmonProc{addr: fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t)), log: &testsupport.LockedBuffer{}}
	cmd := exec.Command(bin, "run", "--config", cfg, "--listen", p.addr, "--data-dir", data)
	// /metrics needs a user or the scrape token, as Prometheus sends it.
	cmd.Env = append(os.Environ(), "FACMON_METRICS_TOKEN="+scrapeToken)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	testsupport.Eventually(t, 30*time.Second, "facmon /healthz", func() bool { return p.get("/healthz") != "" }, p.log)
	return p
}

// scrapeToken is the bearer token the tests scrape /metrics with.
const scrapeToken = "dashboards-check-scrape-token-0123456789"

func (p *facmonProc) get(path string) string {
	c := http.Client{Timeout: 2 * time.Second}
	req, err := http.NewRequest(http.MethodGet, "http://"+p.addr+path, nil)
	if err != nil {
		return ""
	}
	req.Header.Set("Authorization", "Bearer "+scrapeToken)
	resp, err := c.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// publishRoom publishes a payload for room-1 with mosquitto_pub.
func publishRoom(t *testing.T, url, payload string) {
	host, port, _ := strings.Cut(strings.TrimPrefix(url, "tcp://"), ":")
	pub := testbed.LookBinary(t, "mosquitto_pub")
	out, err := exec.Command(pub, "-h", host, "-p", port, "-q", "1", "-t", "env/room-1", "-m", payload).CombinedOutput()
	if err != nil {
		t.Fatalf("mosquitto_pub: %v\n%s", err, out)
	}
}

// waitMetric polls /metrics until the first sample starting with prefix
// satisfies ok.
func waitMetric(t *testing.T, p *facmonProc, prefix string, ok func(float64) bool) {
	t.Helper()
	testsupport.Eventually(t, 30*time.Second, prefix, func() bool {
		for _, l := range strings.Split(p.get("/metrics"), "\n") {
			if strings.HasPrefix(l, prefix) {
				v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
				return err == nil && ok(v)
			}
		}
		return false
	}, p.log)
}

// sampleLine is one sample of the text exposition: name, labels, value.
var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? `)
var labelName = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`)

// parseExposition maps each sample name to the label names it carries.
func parseExposition(text string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		m := sampleLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if out[m[1]] == nil {
			out[m[1]] = map[string]bool{}
		}
		for _, lm := range labelName.FindAllStringSubmatch(m[3], -1) {
			out[m[1]][lm[1]] = true
		}
	}
	return out
}
