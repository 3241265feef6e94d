package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

// facmonBin is the binary built once for the tests that run facmon as a
// process (signals, kill -9).
var facmonBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "facmon-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	facmonBin = filepath.Join(dir, "facmon")
	out, err := exec.Command("go", "build", "-o", facmonBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build facmon: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = dispatch(args, &o, &e)
	return code, o.String(), e.String()
}

const minimalSite = `site: t1
timezone: Asia/Shanghai
areas:
  - {id: pump-room, name: 泵房}
devices:
  - id: tank-1
    name: 水箱
    kind: water_tank
    area: pump-room
    signals:
      - {name: level, type: analog, unit: m}
`

func writeSite(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var errLine = regexp.MustCompile(`^[^:]+\.yaml:\d+:\d+: \S.*$`)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	bad := strings.NewReplacer("kind: water_tank", "kind: water_tnak", "unit: m", "unit: \"\"").Replace(minimalSite) +
		"    color: blue\n"
	tests := []struct {
		name      string
		body      string
		code      int
		wantLines int
		contains  []string
	}{
		{"valid", minimalSite, 0, 0, []string{"ok"}},
		{"every error reported", bad, 1, 3, []string{"water_tnak", "unit", "color"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeSite(t, dir, tc.body)
			code, out, errs := run("check", "--config", p)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tc.code, out, errs)
			}
			all := out + errs
			for _, c := range tc.contains {
				if !strings.Contains(all, c) {
					t.Errorf("output lacks %q:\n%s", c, all)
				}
			}
			if tc.wantLines == 0 {
				return
			}
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			if len(lines) < tc.wantLines {
				t.Fatalf("%d error lines, want at least %d:\n%s", len(lines), tc.wantLines, errs)
			}
			for _, l := range lines {
				if !errLine.MatchString(l) {
					t.Errorf("error line not file:line:col: message: %q", l)
				}
			}
		})
	}
}

func TestCheckDemoSite(t *testing.T) {
	if code, out, errs := run("check", "--config", "../../seeds/sites/demo.yaml"); code != 0 {
		t.Fatalf("demo site: exit %d\n%s%s", code, out, errs)
	}
}

func TestUsage(t *testing.T) {
	code, out, _ := run("help")
	if code != 0 || !strings.Contains(out, "run") || !strings.Contains(out, "check") || !strings.Contains(out, "version") {
		t.Fatalf("help: %d %q", code, out)
	}
	if code, _, _ := run("nonsense"); code != 2 {
		t.Fatalf("unknown command exit %d, want 2", code)
	}
	if code, _, errs := run("run"); code != 2 || !strings.Contains(errs, "--config") {
		t.Fatalf("run without --config: %d %q", code, errs)
	}
}

func TestRunRefusesBadSiteFile(t *testing.T) {
	p := writeSite(t, t.TempDir(), strings.Replace(minimalSite, "unit: m", "unit: \"\"", 1))
	cmd := exec.Command(facmonBin, "run", "--config", p, "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v\n%s", err, out)
	}
	if !regexp.MustCompile(`site\.yaml:\d+:\d+: .*unit`).Match(out) {
		t.Fatalf("no file:line error about the unit:\n%s", out)
	}
}

// proc is facmon run as a child process.
type proc struct {
	cmd  *exec.Cmd
	log  *testsupport.LockedBuffer
	addr string
}

// The console user the tests create (facmon has no default password) and
// use through HTTP Basic for the API.
const (
	testUser     = "tester"
	testPassword = "correct horse battery staple"
)

// addTestUser creates testUser in the data dir named by args' --data-dir.
func addTestUser(t testing.TB, args []string) {
	t.Helper()
	for i, a := range args {
		if a == "--data-dir" && i+1 < len(args) {
			cmd := exec.Command(facmonBin, "user", "add", testUser, "--role", "engineer", "--data-dir", args[i+1])
			cmd.Stdin = strings.NewReader(testPassword + "\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("facmon user add: %v\n%s", err, out)
			}
			return
		}
	}
}

func startFacmon(t testing.TB, args ...string) *proc {
	t.Helper()
	return startFacmonAt(t, fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t)), args...)
}

// startFacmonAt runs facmon listening on addr.
func startFacmonAt(t testing.TB, addr string, args ...string) *proc {
	t.Helper()
	addTestUser(t, args)
	p := &proc{log: &testsupport.LockedBuffer{}, addr: addr}
	p.cmd = exec.Command(facmonBin, append([]string{"run", "--listen", addr}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	testsupport.Eventually(t, 30*time.Second, "facmon /healthz", func() bool { return httpGet(p.url("/healthz")) != "" }, p.log)
	return p
}

func (p *proc) url(path string) string { return "http://" + p.addr + path }

func (p *proc) metric(name string) string {
	for _, l := range strings.Split(httpGet(p.url("/metrics")), "\n") {
		if strings.HasPrefix(l, name+" ") {
			return strings.TrimPrefix(l, name+" ")
		}
	}
	return ""
}

func httpGet(url string) string { return httpGetAs(url, testUser) }

// httpGetAs GETs url as user (HTTP Basic with testPassword) and returns the
// body of a 2xx answer, "" otherwise.
func httpGetAs(url, user string) string {
	c := http.Client{Timeout: 2 * time.Second}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return ""
	}
	req.SetBasicAuth(user, testPassword)
	resp, err := c.Do(req)
	if err != nil {
		return ""
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestSIGHUPKeepsRunningOnBadFileAndAppliesGoodOne(t *testing.T) {
	dir := t.TempDir()
	cfg := writeSite(t, dir, minimalSite)
	p := startFacmon(t, "--config", cfg, "--data-dir", filepath.Join(dir, "data"))
	if got := p.metric("facmon_config_last_reload_successful"); got != "1" {
		t.Fatalf("reload gauge at start = %q", got)
	}

	writeSite(t, dir, strings.Replace(minimalSite, "kind: water_tank", "kind: rocket", 1))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testsupport.Eventually(t, 10*time.Second, "reload failure", func() bool { return p.metric("facmon_config_last_reload_successful") == "0" }, p.log)
	if !regexp.MustCompile(`site\.yaml:\d+:\d+: .*rocket`).MatchString(p.log.String()) {
		t.Fatalf("the log does not name the bad line:\n%s", p.log.String())
	}
	if httpGet(p.url("/healthz")) == "" {
		t.Fatal("facmon died on a bad reload")
	}

	writeSite(t, dir, minimalSite+`  - id: tank-2
    name: 水箱2
    kind: water_tank
    area: pump-room
    signals:
      - {name: level, type: analog, unit: m}
`)
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	testsupport.Eventually(t, 10*time.Second, "reload success", func() bool { return p.metric("facmon_config_last_reload_successful") == "1" }, p.log)
	testsupport.Eventually(t, 10*time.Second, "tank-2 in /api/v1/devices", func() bool {
		return strings.Contains(httpGet(p.url("/api/v1/devices")), `"tank-2"`)
	}, p.log)

	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("SIGTERM exit: %v\n%s", err, p.log.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("facmon did not stop on SIGTERM")
	}
}

func TestHealthProbe(t *testing.T) {
	dir := t.TempDir()
	p := startFacmon(t, "--config", writeSite(t, dir, minimalSite), "--data-dir", filepath.Join(dir, "data"))
	if code, out, errs := run("health", "--url", p.url("/healthz")); code != 0 {
		t.Fatalf("healthy facmon: exit %d %q %q", code, out, errs)
	}
	if code, _, _ := run("health", "--url", p.url("/nope")); code != 1 {
		t.Fatalf("404: exit %d, want 1", code)
	}
	if code, _, _ := run("health", "--url", "http://127.0.0.1:1/healthz"); code != 1 {
		t.Fatalf("refused: exit %d, want 1", code)
	}
}

func TestCheckDryRunListsActionsWithoutRunningThem(t *testing.T) {
	code, out, errs := run("check", "--config", "../../seeds/sites/demo.yaml", "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"not run by check", "floodlight", "pump_stop"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
}

// TestRunGovernsProcessors: facmon run starts the processor governor,
// which puts a nearly idle facmon on one processor (internal/procs).
func TestRunGovernsProcessors(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 || os.Getenv("GOMAXPROCS") != "" {
		t.Skip("one processor, or GOMAXPROCS set: the governor is off")
	}
	dir := t.TempDir()
	p := startFacmon(t, "--config", writeSite(t, dir, minimalSite), "--data-dir", filepath.Join(dir, "data"))
	testsupport.Eventually(t, 30*time.Second, "facmon_gomaxprocs 1 while idle", func() bool {
		return p.metric("facmon_gomaxprocs") == "1"
	}, p.log)
}
