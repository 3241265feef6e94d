package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"facmon/alarms/centre"
	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// clusterDuty is the duty receiver behind the Alertmanager cluster (a
// webhook): how many times each alert arrived, by status.
type clusterDuty struct {
	mu   sync.Mutex
	seen map[string]int // "firing|intrusion|s0|pz-1"
	last map[string]map[string]string
	log  []string // each arrival, for a failure's message
}

func (d *clusterDuty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Alerts []struct {
			Status string            `json:"status"`
			Labels map[string]string `json:"labels"`
		} `json:"alerts"`
	}
	if json.NewDecoder(r.Body).Decode(&msg) == nil {
		d.mu.Lock()
		for _, a := range msg.Alerts {
			k := dutyKey(a.Status, a.Labels["alertname"], a.Labels["site"], a.Labels["device"])
			d.seen[k]++
			d.last[k] = a.Labels
			d.log = append(d.log, fmt.Sprintf("%s %s (%s)", time.Now().Format("15:04:05.000"), k, r.RemoteAddr))
		}
		d.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

func dutyKey(status, alertname, site, device string) string {
	return strings.Join([]string{status, alertname, site, device}, "|")
}

func (d *clusterDuty) count(k string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.seen[k]
}

func (d *clusterDuty) labels(k string) map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last[k]
}

func (d *clusterDuty) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ks []string
	for k, n := range d.seen {
		ks = append(ks, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(ks)
	return "duty receiver got: " + strings.Join(ks, ", ") + "\narrivals:\n" + strings.Join(d.log, "\n")
}

// TestCentreAlertmanagerCluster is the notification chain of the group
// centre end to end: edge facmon processes, each behind its own Mosquitto
// bridged to a central Mosquitto, route critical alarms to both members of
// a real two-node Alertmanager cluster; `facmon centre` sends its own
// site-offline alarm to both as well. Alarms raised at every edge reach
// the duty receiver once each (the cluster deduplicates what both members
// got); with one Alertmanager killed mid-way every further alarm still
// arrives, once; an edge's facmon killed raises site-offline at the centre
// (its last-will), which arrives with the site's labels, and its
// resolution arrives when the edge comes back.
func TestCentreAlertmanagerCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	duty := &clusterDuty{seen: map[string]int{}, last: map[string]map[string]string{}}
	hook := httptest.NewServer(duty)
	defer hook.Close()
	// Each alert is a group of its own (group_by: ['...']); the second
	// member waits the peer timeout for the first's notification log.
	ams := testbed.StartAlertmanagerCluster(t, 2, testbed.AlertmanagerOptions{Config: fmt.Sprintf(`route:
  receiver: duty
  group_by: ['...']
  group_wait: 500ms
  group_interval: 1s
  repeat_interval: 4h
receivers:
  - name: duty
    webhook_configs:
      - {url: %q, send_resolved: true}
`, hook.URL)}, "2s")
	notify := fmt.Sprintf(`notify:
  receivers:
    - {name: cluster, type: alertmanager, urls: [%q, %q], resend: 1m}
  routes:
    - {severities: [critical], receivers: [cluster]}
`, ams[0].URL, ams[1].URL)

	central := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	var edges []*edgeProc
	for i := range 3 {
		edges = append(edges, startEdgeSite(t, fmt.Sprintf("s%d", i), central, notify))
	}
	conf := writeCentreConfig(t, central, edges, notify)
	// Only the killed edge may go offline: the last-will raises
	// site-offline at once, a loaded machine's slow heartbeat must not.
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte(strings.Replace(string(b), "offline_after: 5s", "offline_after: 2m", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctr := startCentre(t, "centre-a", conf)
	for _, e := range edges {
		testsupport.Eventually(t, 30*time.Second, e.id+" subscribed to its broker", func() bool {
			return e.facmon.metric("facmon_mqtt_connected") == "1"
		}, e.facmon.log)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("centre log:\n%s", ctr.log.Last(3000))
			for i, am := range ams {
				t.Logf("alertmanager %d log:\n%s", i, am.Log())
			}
		}
	})

	raise := func(zones ...int) []string {
		var keys []string
		for _, e := range edges {
			for _, z := range zones {
				e.pub.publish(fmt.Sprintf("dev/pz-%d/alarm", z), []byte("1"))
				keys = append(keys, dutyKey("firing", "intrusion", e.id, fmt.Sprintf("pz-%d", z)))
			}
		}
		return keys
	}
	arrive := func(what string, keys []string) {
		t.Helper()
		for _, k := range keys {
			testsupport.Eventually(t, 90*time.Second, what+": "+k, func() bool { return duty.count(k) > 0 }, duty)
		}
	}

	first := raise(1, 2)
	arrive("raised with both Alertmanagers up", first)

	// The cluster deduplicates through its notification log, gossiped
	// between members: a member killed before its log entries reached the
	// other (by gossip, or by the push-pull of the whole log each second)
	// makes the other notify again — Alertmanager is at-least-once. Kill
	// Alertmanager 0 once Alertmanager 1's log holds every first alert's
	// entry, as new as 0's own: whatever 0 notified, 1 knows. (0.25's
	// alertmanager_nflog_gossip_messages_propagated_total is no such
	// signal: it skips entries merged from a message over 700 bytes, as
	// the push-pull of six entries is, and those it merged from gossip
	// after the push-pull brought them.)
	testsupport.Eventually(t, 30*time.Second, "the first alerts' notification log entries at Alertmanager 1", func() bool {
		ok, err := ams[1].HoldsEntries(ams[0], dutyGroups(first))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}, duty, testbed.NotificationLogs(ams))
	ams[0].Kill()
	second := raise(3, 4)
	arrive("raised with one Alertmanager killed", second)

	// an edge's facmon killed: its broker publishes the last-will
	down := edges[1]
	_ = down.facmon.cmd.Process.Signal(syscall.SIGKILL)
	_ = down.facmon.cmd.Wait()
	offFiring := dutyKey("firing", centre.SiteOfflineRule, down.id, down.id)
	offResolved := dutyKey("resolved", centre.SiteOfflineRule, down.id, down.id)
	arrive("site-offline from the centre", []string{offFiring})
	for k, want := range map[string]string{"alertname": centre.SiteOfflineRule, "site": down.id, "site_name": "小区" + down.id, "severity": "critical"} {
		if got := duty.labels(offFiring)[k]; got != want {
			t.Errorf("site-offline label %s = %q, want %q", k, got, want)
		}
	}
	if n := duty.count(offResolved); n != 0 {
		t.Fatalf("site-offline resolved %d times while the edge is down", n)
	}
	down.facmon = startFacmonAt(t, down.facmon.addr, "--config", filepath.Join(down.dir, "site.yaml"), "--data-dir", filepath.Join(down.dir, "data"))
	arrive("site-offline resolved when the edge came back", []string{offResolved})

	// Every alert once. The edge's restart took several seconds, well past
	// the 2 s peer timeout after which a second member would have sent a
	// duplicate of the first alerts; the later ones had one member alive.
	for _, k := range append(append(first, second...), offFiring, offResolved) {
		if n := duty.count(k); n != 1 {
			t.Errorf("%s reached the duty receiver %d times, want once", k, n)
		}
	}
	for _, e := range edges {
		if e != down {
			if k := dutyKey("firing", centre.SiteOfflineRule, e.id, e.id); duty.count(k) != 0 {
				t.Errorf("%s: site-offline for a site that stayed up", e.id)
			}
		}
	}
	if t.Failed() {
		t.Log(duty)
	}
}

// dutyGroups are the Alertmanager groups of duty keys
// ("firing|intrusion|s0|pz-1"): each alert is a group of its own.
func dutyGroups(keys []string) []map[string]string {
	var gs []map[string]string
	for _, k := range keys {
		f := strings.Split(k, "|")
		gs = append(gs, map[string]string{"alertname": f[1], "site": f[2], "device": f[3]})
	}
	return gs
}
