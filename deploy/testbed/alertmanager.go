package testbed

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Alertmanager is a running Prometheus Alertmanager (one instance, no
// cluster gossip) listening on loopback.
type Alertmanager struct {
	URL string // http://127.0.0.1:PORT
	p   *process
}

// AlertmanagerOptions say which configuration the Alertmanager loads.
type AlertmanagerOptions struct {
	// ConfigFile is an alertmanager.yml to load as it is.
	ConfigFile string
	// Config is the configuration text, used when ConfigFile is empty.
	Config string
}

// StartAlertmanager starts Alertmanager on a free port with its storage in a
// temp dir, waits for /-/ready, and stops it when t ends.
func StartAlertmanager(t testing.TB, opt AlertmanagerOptions) *Alertmanager {
	t.Helper()
	bin := alertmanagerBinary(t)
	dir := t.TempDir()
	conf := opt.ConfigFile
	if conf == "" {
		conf = filepath.Join(dir, "alertmanager.yml")
		writeFile(t, conf, opt.Config)
	}
	port := FreePort(t)
	am := &Alertmanager{
		URL: fmt.Sprintf("http://127.0.0.1:%d", port),
		p: &process{t: t, name: bin, dir: dir, log: newLog(), args: []string{
			"--config.file=" + conf,
			"--storage.path=" + filepath.Join(dir, "data"),
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
			"--cluster.listen-address=",
			"--log.level=warn",
		}},
	}
	am.Start(t)
	t.Cleanup(func() { am.p.stop(syscall.SIGTERM) })
	return am
}

// Start starts a stopped Alertmanager again on the same port and storage.
func (am *Alertmanager) Start(t testing.TB) {
	t.Helper()
	am.p.start()
	waitFor(t, "alertmanager", am.p.log, func() bool { return httpOK(am.URL + "/-/ready") })
}

// Stop stops Alertmanager (SIGTERM) until Start.
func (am *Alertmanager) Stop() { am.p.stop(syscall.SIGTERM) }

// Log returns the tail of Alertmanager's log.
func (am *Alertmanager) Log() string { return am.p.log.Last(4000).String() }

// alertmanagerBinary finds Debian's prometheus-alertmanager or an upstream
// alertmanager binary.
func alertmanagerBinary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("alertmanager"); err == nil {
		return p
	}
	if st, err := os.Stat(filepath.Join(CacheDir(), "bin", "alertmanager")); err == nil && !st.IsDir() {
		return filepath.Join(CacheDir(), "bin", "alertmanager")
	}
	return LookBinary(t, "prometheus-alertmanager")
}
