// Package testbed starts the real servers that facmon's integration tests
// talk to — InfluxDB 1.8.10 and Mosquitto 2 — on free loopback ports in
// temporary directories, and stops them when the test ends. prereqs.sh in
// this folder installs them; `make test` runs it first.
//
// Servers can be stopped and started again on the same port and data
// directory, which is how outage and broker-restart tests are written.
package testbed

import (
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

	"facmon/internal/testsupport"
)

// CacheDir is where prereqs.sh puts built binaries (influxd).
func CacheDir() string {
	if d := os.Getenv("FACMON_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "facmon")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "facmon")
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testbed: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// LookBinary finds a server binary on PATH, in /usr/sbin, or in the cache.
func LookBinary(t testing.TB, name string) string {
	t.Helper()
	for _, p := range []string{filepath.Join(CacheDir(), "bin", name), "/usr/sbin/" + name, "/usr/bin/" + name} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Fatalf("testbed: %s not found; run deploy/testbed/prereqs.sh (make test does)", name)
	return ""
}

// process is a server child process that can be stopped and restarted.
type process struct {
	t    testing.TB
	name string
	args []string
	dir  string
	log  *testsupport.LockedBuffer

	mu  sync.Mutex
	cmd *exec.Cmd
}

func (p *process) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return
	}
	cmd := exec.Command(p.name, p.args...)
	cmd.Dir = p.dir
	cmd.Stdout = p.log
	cmd.Stderr = p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("testbed: start %s: %v", p.name, err)
	}
	p.cmd = cmd
}

// stop sends SIGTERM and waits; kill sends SIGKILL.
func (p *process) stop(sig syscall.Signal) {
	p.mu.Lock()
	cmd := p.cmd
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// waitFor polls ok until it returns true or the deadline passes.
func waitFor(t testing.TB, what string, log *testsupport.LockedBuffer, ok func() bool) {
	t.Helper()
	testsupport.Eventually(t, 60*time.Second, "testbed: "+what+" up; its log:", ok, log.Last(4000))
}

func portOpen(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func httpOK(url string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode < 300
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("testbed: %v", err)
	}
}

func trimLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, strings.TrimPrefix(l, "\t"))
	}
	return strings.Join(out, "\n")
}

// newLog is a server's log: its newest megabyte or so.
func newLog() *testsupport.LockedBuffer { return &testsupport.LockedBuffer{Limit: 1 << 20} }
