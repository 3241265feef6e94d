package testbed

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Alertmanager is a running Prometheus Alertmanager listening on
// loopback: one on its own (StartAlertmanager) or a member of a cluster
// (StartAlertmanagerCluster).
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
	return startAlertmanager(t, opt, []string{"--cluster.listen-address="})
}

// StartAlertmanagerCluster starts n Alertmanagers peered by their gossip
// protocol (each --cluster.peer of every other, on loopback), as the
// group centre runs them, and waits until each sees all n members.
// peerTimeout is --cluster.peer-timeout: how long a member waits for the
// one before it to notify before notifying itself.
func StartAlertmanagerCluster(t testing.TB, n int, opt AlertmanagerOptions, peerTimeout string) []*Alertmanager {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = FreePort(t)
	}
	ams := make([]*Alertmanager, n)
	for i := range ams {
		args := []string{fmt.Sprintf("--cluster.listen-address=127.0.0.1:%d", ports[i]),
			"--cluster.peer-timeout=" + peerTimeout, "--cluster.gossip-interval=100ms", "--cluster.pushpull-interval=1s"}
		for j, p := range ports {
			if j != i {
				args = append(args, fmt.Sprintf("--cluster.peer=127.0.0.1:%d", p))
			}
		}
		ams[i] = startAlertmanager(t, opt, args)
	}
	for _, am := range ams {
		waitFor(t, "alertmanager cluster", am.p.log, func() bool { return am.Peers() == n })
	}
	return ams
}

// Peers is how many cluster members the Alertmanager sees (itself
// included), 0 if it does not answer.
func (am *Alertmanager) Peers() int {
	resp, err := http.Get(am.URL + "/api/v2/status")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var st struct {
		Cluster struct {
			Peers []json.RawMessage `json:"peers"`
		} `json:"cluster"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil {
		return 0
	}
	return len(st.Cluster.Peers)
}

// Kill stops Alertmanager with SIGKILL.
func (am *Alertmanager) Kill() { am.p.stop(syscall.SIGKILL) }

func startAlertmanager(t testing.TB, opt AlertmanagerOptions, cluster []string) *Alertmanager {
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
		p: &process{t: t, name: bin, dir: dir, log: newLog(), args: append([]string{
			"--config.file=" + conf,
			"--storage.path=" + filepath.Join(dir, "data"),
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
			"--log.level=warn",
		}, cluster...)},
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
