package testbed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Alertmanager is a running Prometheus Alertmanager listening on
// loopback: one on its own (StartAlertmanager) or a member of a cluster
// (StartAlertmanagerCluster).
type Alertmanager struct {
	URL     string // http://127.0.0.1:PORT
	p       *process
	dataDir string // --storage.path
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
	am := newAlertmanager(t, opt, []string{"--cluster.listen-address="})
	am.Start(t)
	return am
}

// StartAlertmanagerCluster starts n Alertmanagers peered by their gossip
// protocol (each --cluster.peer of every other, on loopback), as the
// group centre runs them, and returns once the cluster is formed: each
// member sees all n, and state gossiped from each member reached every
// other one (a silence matching no alert, expired again). All processes
// start before the first is waited for; a member that starts before its
// peers listen logs "failed to join cluster" and is joined by them.
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
		ams[i] = newAlertmanager(t, opt, args)
		ams[i].p.start()
	}
	for _, am := range ams {
		am.Start(t)
	}
	for _, am := range ams {
		waitFor(t, "alertmanager cluster", am.p.log, func() bool { return am.Peers() == n })
	}
	for i, from := range ams {
		id := from.silence(t, fmt.Sprintf("member %d", i))
		for j, to := range ams {
			if j != i {
				waitFor(t, fmt.Sprintf("alertmanager cluster: member %d's silence gossiped to member %d", i, j),
					to.p.log, func() bool { return httpOK(to.URL + "/api/v2/silence/" + id) })
			}
		}
		from.expire(t, id)
	}
	return ams
}

// silence creates a silence that matches no alert (label
// testbed_gossip_probe) and returns its id.
func (am *Alertmanager) silence(t testing.TB, probe string) string {
	t.Helper()
	now := time.Now().UTC()
	body, _ := json.Marshal(map[string]any{
		"matchers":  []map[string]any{{"name": "testbed_gossip_probe", "value": probe, "isRegex": false, "isEqual": true}},
		"startsAt":  now.Format(time.RFC3339Nano),
		"endsAt":    now.Add(time.Hour).Format(time.RFC3339Nano),
		"createdBy": "testbed",
		"comment":   "gossip probe",
	})
	resp, err := http.Post(am.URL+"/api/v2/silences", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("testbed: alertmanager silence: %v", err)
	}
	defer resp.Body.Close()
	var r struct {
		SilenceID string `json:"silenceID"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != http.StatusOK || r.SilenceID == "" {
		t.Fatalf("testbed: alertmanager silence: %s %v", resp.Status, err)
	}
	return r.SilenceID
}

// expire expires silence id.
func (am *Alertmanager) expire(t testing.TB, id string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, am.URL+"/api/v2/silence/"+id, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("testbed: alertmanager expire silence %s: %v", id, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("testbed: alertmanager expire silence %s: %s", id, resp.Status)
	}
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

// newAlertmanager prepares an Alertmanager in a temp dir, on a free port,
// stopped when t ends; Start runs it. It snapshots its notification log
// every 250 ms (NotificationLog).
func newAlertmanager(t testing.TB, opt AlertmanagerOptions, cluster []string) *Alertmanager {
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
		URL:     fmt.Sprintf("http://127.0.0.1:%d", port),
		dataDir: filepath.Join(dir, "data"),
		p: &process{t: t, name: bin, dir: dir, log: newLog(), args: append([]string{
			"--config.file=" + conf,
			"--storage.path=" + filepath.Join(dir, "data"),
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
			"--data.maintenance-interval=250ms",
			"--log.level=warn",
		}, cluster...)},
	}
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
