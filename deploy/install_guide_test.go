package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// The install guide is tested as code: docs/install.md marks the code
// blocks this file runs with an HTML comment `<!-- guide-test: NAME -->` on
// the line before the fence. They run as written; only the places of the
// machine are swapped for temporary ones (guidePlaces).

// guideMarker finds a marked code block: its name and its body.
var guideMarker = regexp.MustCompile("(?s)<!-- guide-test: ([a-z0-9-]+) -->\n```[a-z]*\n(.*?)```")

// guideBlockNames are the blocks the test needs; a guide without one of
// them fails.
var guideBlockNames = []string{"wiring", "site", "rules", "check", "influxdb-1", "mosquitto", "first-login"}

func guideBlocks(t *testing.T) map[string]string {
	t.Helper()
	blocks := map[string]string{}
	for _, m := range guideMarker.FindAllStringSubmatch(readInstallGuide(t), -1) {
		if _, dup := blocks[m[1]]; dup {
			t.Fatalf("docs/install.md: guide-test block %q marked twice", m[1])
		}
		blocks[m[1]] = m[2]
	}
	for _, name := range guideBlockNames {
		if blocks[name] == "" {
			t.Fatalf("docs/install.md: no code block marked <!-- guide-test: %s -->", name)
		}
	}
	return blocks
}

// guideMachine is the temporary machine the guide's blocks run on.
type guideMachine struct {
	root     string // stands for /
	bin      string // holds facmon
	group    string // stands for the group facmon
	places   *strings.Replacer
	gateway  string // host:port of the simulated gateway
	mqttPort int
	httpAddr string
}

// newGuideMachine makes the temporary tree, world-traversable so that
// Mosquitto, dropping to its own user, reaches its files as on a real box.
func newGuideMachine(t *testing.T) *guideMachine {
	t.Helper()
	root, err := os.MkdirTemp("", "facmon-guide-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"bin", "etc/facmon/rules", "etc/mosquitto/conf.d", "var/lib/facmon", "var/lib/mosquitto"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "etc/facmon/secrets"), 0o750); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// Debian's mosquitto package owns /var/lib/mosquitto.
		if u, err := user.Lookup("mosquitto"); err == nil {
			var uid, gid int
			fmt.Sscan(u.Uid, &uid)
			fmt.Sscan(u.Gid, &gid)
			_ = os.Chown(filepath.Join(root, "var/lib/mosquitto"), uid, gid)
		}
	}
	g, err := user.LookupGroupId(fmt.Sprint(os.Getgid()))
	if err != nil {
		t.Fatal(err)
	}
	m := &guideMachine{root: root, bin: filepath.Join(root, "bin"), group: g.Name,
		gateway: fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t)), mqttPort: testbed.FreePort(t),
		httpAddr: fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))}
	buildFacmon(t, m.bin)
	return m
}

// setPlaces fixes the swaps once the servers' addresses are known.
func (m *guideMachine) setPlaces(influxURL, alertmanagerURL string) {
	r := m.root
	owners := []string{}
	if os.Geteuid() != 0 {
		// Without root nobody can give files away: they stay the tester's.
		u, _ := user.Current()
		owners = []string{"-o root", "-o " + u.Username, "-g mosquitto", "-g " + m.group}
	}
	m.places = strings.NewReplacer(append(owners,
		"/etc/facmon", r+"/etc/facmon",
		"/etc/mosquitto", r+"/etc/mosquitto",
		"/root/facmon-secrets", r+"/root/facmon-secrets",
		"/var/lib/facmon", r+"/var/lib/facmon",
		"/var/lib/mosquitto/", r+"/var/lib/mosquitto/",
		"/tmp/ttyGW", r+"/ttyGW",
		"192.168.10.50:502", m.gateway,
		"http://127.0.0.1:8086", influxURL,
		"http://127.0.0.1:9093", alertmanagerURL,
		"tcp://127.0.0.1:1883", fmt.Sprintf("tcp://127.0.0.1:%d", m.mqttPort),
		"listener 1883 127.0.0.1", fmt.Sprintf("listener %d 127.0.0.1", m.mqttPort),
		"listener 8883 192.168.10.10", fmt.Sprintf("listener %d 127.0.0.2", m.mqttPort),
		"0.0.0.0:8080", m.httpAddr,
		"runuser -u facmon -- ", "",
		"-g facmon", "-g "+m.group,
		"chgrp facmon", "chgrp "+m.group,
	)...)
}

// script swaps the places of a block and drops the lines that manage the
// real machine's services (systemctl).
func (m *guideMachine) script(block string) string {
	var out []string
	for _, l := range strings.Split(m.places.Replace(block), "\n") {
		if !strings.HasPrefix(l, "systemctl ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// run runs a block with bash -e in the repository, as the guide's reader
// does, with facmon on PATH.
func (m *guideMachine) run(t *testing.T, name, block, stdin string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-c", m.script(block))
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "PATH="+m.bin+":"+os.Getenv("PATH"))
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("guide block %q failed: %v\n--- script\n%s\n--- stdout\n%s--- stderr\n%s", name, err, m.script(block), out.String(), errb.String())
	}
	return out.String(), errb.String()
}

func buildFacmon(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "facmon"), "./cmd/facmon")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build facmon: %v\n%s", err, out)
	}
}

// alertReceiver is the duty group's webhook behind Alertmanager.
type alertReceiver struct {
	mu     sync.Mutex
	alerts []map[string]any
}

func (rc *alertReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Receiver string           `json:"receiver"`
		Alerts   []map[string]any `json:"alerts"`
	}
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &msg); err == nil {
		rc.mu.Lock()
		for _, a := range msg.Alerts {
			a["receiver"] = msg.Receiver
			rc.alerts = append(rc.alerts, a)
		}
		rc.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

// firing returns the first firing alert named rule for device, if any.
func (rc *alertReceiver) firing(rule, device string) (map[string]any, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, a := range rc.alerts {
		labels, _ := a["labels"].(map[string]any)
		if a["status"] == "firing" && labels["alertname"] == rule && labels["device"] == device {
			return a, true
		}
	}
	return nil, false
}

// startDeployAlertmanager runs Alertmanager with deploy/alertmanager/
// alertmanager.yml, its DingTalk bridge and dead-man URLs pointed at the
// test's receiver.
func startDeployAlertmanager(t *testing.T) (*testbed.Alertmanager, *alertReceiver) {
	t.Helper()
	rc := &alertReceiver{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	conf, err := os.ReadFile("alertmanager/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("http://dingtalk:8060", srv.URL, "http://deadman.example.invalid", srv.URL).Replace(string(conf))
	return testbed.StartAlertmanager(t, testbed.AlertmanagerOptions{Config: text}), rc
}

// process runs a facmon command in the background until the test ends.
func startProcess(t *testing.T, name string, dir string, args ...string) *testsupport.LockedBuffer {
	t.Helper()
	log := &testsupport.LockedBuffer{}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("%s %s log:\n%s", filepath.Base(name), args[0], tail(log.String(), 6000))
		}
	})
	return log
}

func tail(s string, n int) string {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

// drainSpeed runs the simulator's physics fast enough that the fire tank,
// drained by the tank-drain scenario (4 × 0.02 m/h with its filler
// stuck), falls from 3.4 m past 2.4 m within seconds; the rule's 30 s
// on-delay then runs on facmon's real clock.
const drainSpeed = "3600"

// waitFireWaterLow waits for the guide's promise: fire-water-low of
// fire-tank at Alertmanager's duty receiver.
func waitFireWaterLow(t *testing.T, rc *alertReceiver, influx *testbed.Influx) {
	t.Helper()
	start := time.Now()
	var a map[string]any
	testsupport.Eventually(t, 4*time.Minute, "fire-water-low of fire-tank at Alertmanager's receiver", func() bool {
		var ok bool
		a, ok = rc.firing("fire-water-low", "fire-tank")
		return ok
	})
	t.Logf("fire-water-low at the duty receiver %.1f s after the wait began (rule on-delay 30 s, group_wait 5 s)", time.Since(start).Seconds())
	if a["receiver"] != "duty-phones" {
		t.Errorf("fire-water-low went to receiver %v, want duty-phones (critical)", a["receiver"])
	}
	n, err := influx.Count(`SELECT count("level") FROM "facmon"."autogen"."water_tank" WHERE "device" = 'fire-tank'`)
	if err != nil || n == 0 {
		t.Errorf("no fire-tank level in InfluxDB (%d points, %v)", n, err)
	}
}

// startMosquittoConf runs Mosquitto with a config file the guide made.
// As root it drops to the user mosquitto, as from Debian's unit, so the
// file modes of the guide are tested too.
// swapInFile replaces old, which must be there, by new in file.
func swapInFile(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s: no %q", file, old)
	}
	if err := os.WriteFile(file, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func startMosquittoConf(t *testing.T, conf string, port int) {
	t.Helper()
	log := startProcess(t, testbed.LookBinary(t, "mosquitto"), filepath.Dir(conf), "-c", conf)
	waitListen(t, fmt.Sprintf("127.0.0.1:%d", port), log)
}

// TestInstallGuideRingsTheDutyPhone follows docs/install.md on a
// temporary machine: the wiring check against the simulated gateway, the
// site file, the rule pack, InfluxDB 1.x and Mosquitto as the guide sets
// them up, `facmon check --strict`, the first login, facmon started as the
// systemd unit starts it — and a draining fire tank must reach
// Alertmanager's duty receiver as fire-water-low.
func TestInstallGuideRingsTheDutyPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("starts InfluxDB, Mosquitto, Alertmanager, the simulator and facmon")
	}
	blocks := guideBlocks(t)
	m := newGuideMachine(t)
	influx := testbed.StartInflux(t)
	if _, err := influx.Query("DROP DATABASE " + influx.DB); err != nil { // the guide starts from an empty server
		t.Fatal(err)
	}
	am, rc := startDeployAlertmanager(t)
	m.setPlaces(influx.URL, am.URL)

	sitePath := filepath.Join(m.root, "etc/facmon/site.yaml")
	if err := os.WriteFile(sitePath, []byte(m.places.Replace(blocks["site"])), 0o644); err != nil {
		t.Fatal(err)
	}
	m.run(t, "rules", blocks["rules"], "")
	m.run(t, "influxdb-1", blocks["influxdb-1"], "")
	m.run(t, "mosquitto", blocks["mosquitto"], "")
	conf := filepath.Join(m.root, "etc/mosquitto/conf.d/facmon.conf")
	// The loopback listener comes from deploy/mosquitto/mosquitto.conf
	// as it is; the test moves it to its free port.
	swapInFile(t, conf, "listener 1883 127.0.0.1", fmt.Sprintf("listener %d 127.0.0.1", m.mqttPort))
	startMosquittoConf(t, conf, m.mqttPort)

	out, errs := m.run(t, "check", blocks["check"], "")
	if !strings.Contains(out, ": ok: ") || strings.Contains(errs, "warning") {
		t.Fatalf("facmon check --strict of the guide's site file:\n%s%s", out, errs)
	}
	fac := filepath.Join(m.bin, "facmon")
	startProcess(t, fac, m.root, "simulate", "--config", sitePath, "--scenario", "tank-drain", "--speed", drainSpeed, "--start", testsupport.SimStartClock(t),
		"--broker", fmt.Sprintf("tcp://127.0.0.1:%d", m.mqttPort))
	waitListen(t, m.gateway)
	checkWiring(t, m, blocks["wiring"])

	startProcess(t, fac, m.root, m.unitExecStart(t)...)
	// The first login: the admin is added while the service runs, and logs
	// in without a restart.
	waitListen(t, m.httpAddr)
	if code := login(t, "http://"+m.httpAddr, "admin", "guide-test-password-1"); code == http.StatusOK {
		t.Fatalf("login as admin before the guide added it: status %d", code)
	}
	m.run(t, "first-login", blocks["first-login"], "guide-test-password-1\n")
	waitLogin(t, "http://"+m.httpAddr, "admin", "guide-test-password-1")
	b := &brokerUnderTest{URL: fmt.Sprintf("tcp://127.0.0.1:%d", m.mqttPort), secrets: filepath.Join(m.root, "root/facmon-secrets")}
	waitMQTTReading(t, b, influx)
	waitFireWaterLow(t, rc, influx)
}

// waitMQTTReading publishes a roof-tank reading as the device itself (its
// user and create.sh password, through the broker's ACL) until facmon has
// stored it in InfluxDB: subscription, ACL and secrets work together.
func waitMQTTReading(t *testing.T, b *brokerUnderTest, influx *testbed.Influx) {
	t.Helper()
	dev, err := b.connect(t, "tank-sensor-1", b.password(t, "devices/tank-sensor-1.password"))
	if err != nil {
		t.Fatalf("tank-sensor-1 cannot connect with its create.sh password: %v", err)
	}
	var sent time.Time
	testsupport.Eventually(t, time.Minute, "tank-sensor-1's MQTT reading in InfluxDB through facmon", func() bool {
		if time.Since(sent) < time.Second {
			return false // one reading and one query a second, until facmon has subscribed
		}
		publishPayload(t, dev, "estate/roof/water_tank/tank-sensor-1/level", "2.85", false)
		sent = time.Now()
		n, err := influx.Count(`SELECT count("level") FROM "facmon"."autogen"."water_tank" WHERE "device" = 'tank-sensor-1'`)
		return err == nil && n > 0
	})
}

// login posts a console login and returns the status (0: no answer).
func login(t *testing.T, base, user, password string) int {
	t.Helper()
	body := fmt.Sprintf(`{"user":%q,"password":%q}`, user, password)
	resp, err := http.Post(base+"/api/v1/session/login", "application/json", strings.NewReader(body))
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitLogin logs in to the console's API until it answers 200.
func waitLogin(t *testing.T, base, user, password string) {
	t.Helper()
	code := 0
	if !testsupport.Within(30*time.Second, func() bool { code = login(t, base, user, password); return code == http.StatusOK }) {
		t.Fatalf("login as %s through the running facmon: status %d after 30 s", user, code)
	}
}

// unitExecStart is the ExecStart of deploy/systemd/facmon.service, its
// binary and paths swapped, as arguments after the binary.
func (m *guideMachine) unitExecStart(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("systemd/facmon.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if cmd, ok := strings.CutPrefix(l, "ExecStart="); ok {
			f := strings.Fields(m.places.Replace(cmd))
			if len(f) < 2 || filepath.Base(f[0]) != "facmon" {
				t.Fatalf("facmon.service: ExecStart %q does not run facmon", cmd)
			}
			return f[1:]
		}
	}
	t.Fatal("facmon.service: no ExecStart")
	return nil
}

// checkWiring runs the guide's socat + mbpoll check against the simulated
// gateway: both devices answer (the tank's level in mm), and no socat is
// left behind holding the gateway's connection.
func checkWiring(t *testing.T, m *guideMachine, block string) {
	t.Helper()
	out, _ := m.run(t, "wiring", block, "")
	if !regexp.MustCompile(`\[0\]:\s+3[0-9]{3}\b`).MatchString(out) {
		t.Errorf("the wiring check did not read a tank level of 3xxx mm:\n%s", out)
	}
	if strings.Count(out, "[1]:") < 1 {
		t.Errorf("the wiring check did not read the pump's two contacts:\n%s", out)
	}
	link := filepath.Join(m.root, "ttyGW")
	testsupport.Eventually(t, 10*time.Second, "the wiring check's socat to be gone", func() bool { return !leftoverSocat(link) })
}

// leftoverSocat reports whether a socat process with link in its command
// line still runs.
func leftoverSocat(link string) bool {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte("socat")) && bytes.Contains(b, []byte(link)) {
			return true
		}
	}
	return false
}

func waitListen(t *testing.T, addr string, logs ...fmt.Stringer) {
	t.Helper()
	testsupport.Eventually(t, 30*time.Second, "a listener on "+addr, func() bool {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, logs...)
}

// swapExact replaces each old string of pairs, failing when the file no
// longer has it (the file changed: the test must follow).
func swapExact(t *testing.T, what, text string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("%s: no %q", what, pairs[i])
		}
		text = strings.ReplaceAll(text, pairs[i], pairs[i+1])
	}
	return text
}

// TestComposeSiteFileRingsTheDutyPhone runs deploy/facmon/site.yaml with
// the compose stack's config files — Mosquitto's config, ACL and create.sh
// secrets, alertmanager.yml, the seed rules as mounted, facmon's command
// from compose.yaml — as plain processes (no Docker engine here).
// InfluxDB is 1.8 instead of the stack's 2.7: the site's bucket becomes
// facmon/autogen.
func TestComposeSiteFileRingsTheDutyPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("starts InfluxDB, Mosquitto, Alertmanager, the simulator and facmon")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	buildFacmon(t, bin)
	influx := testbed.StartInflux(t)
	am, rc := startDeployAlertmanager(t)
	b := startDeployBroker(t, "tank-sensor-1")
	gateway := fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))
	token := filepath.Join(dir, "facmon.token")
	if err := os.WriteFile(token, []byte("unused\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	text, err := os.ReadFile("facmon/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	site := swapExact(t, "deploy/facmon/site.yaml", string(text),
		"192.168.10.50:502", gateway,
		"http://influxdb:8086", influx.URL,
		"    org: facmon\n", "",
		"    bucket: facmon\n", "    bucket: facmon/autogen\n",
		"/run/influx-tokens/facmon.token", token,
		"ssl://mosquitto:8883", b.URL,
		"/run/secrets/tls_ca_crt", b.CAFile,
		"/run/secrets/facmon_tls_crt", filepath.Join(b.secrets, "facmon_tls.crt"),
		"/run/secrets/facmon_tls_key", filepath.Join(b.secrets, "facmon_tls.key"),
		"/run/secrets/facmon_metrics_token", filepath.Join(b.secrets, "facmon_metrics_token"),
		"/run/secrets/facmon_mqtt_password", filepath.Join(b.secrets, "facmon_mqtt_password"),
		"http://alertmanager:9093", am.URL,
	)
	etc := filepath.Join(dir, "etc/facmon")
	if err := os.MkdirAll(filepath.Join(etc, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(etc, "site.yaml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	rulesDir := composeMount(t, "facmon", "/etc/facmon/rules")
	paths, _ := filepath.Glob(filepath.Join(rulesDir, "*.yaml"))
	for _, p := range paths {
		copyInto(t, p, filepath.Join(etc, "rules", filepath.Base(p)))
	}

	fac := filepath.Join(bin, "facmon")
	check := exec.Command(fac, "check", "--strict", "--config", filepath.Join(etc, "site.yaml"))
	if out, err := check.CombinedOutput(); err != nil || !bytes.Contains(out, []byte(": ok: ")) {
		t.Fatalf("facmon check --strict of deploy/facmon/site.yaml: %v\n%s", err, out)
	}
	startProcess(t, fac, dir, "simulate", "--config", filepath.Join(etc, "site.yaml"), "--scenario", "tank-drain", "--speed", drainSpeed, "--start", testsupport.SimStartClock(t))
	waitListen(t, gateway)

	args := strings.Join(loadCompose(t).service(t, "facmon").Command, "\x00")
	args = strings.NewReplacer("/etc/facmon", etc, "/var/lib/facmon", filepath.Join(dir, "data"),
		":8443", fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))).Replace(args)
	startProcess(t, fac, dir, strings.Split(args, "\x00")...)
	waitMQTTReading(t, b, influx)
	waitFireWaterLow(t, rc, influx)
}

// composeMount returns the host folder compose.yaml mounts at target in
// service.
func composeMount(t *testing.T, service, target string) string {
	t.Helper()
	c := loadCompose(t)
	w, ok := c.resolve(t, c.service(t, service), target)
	if !ok || w.Host == "" {
		t.Fatalf("compose.yaml: nothing mounted at %s in %s", target, service)
	}
	return w.Host
}

func copyInto(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
