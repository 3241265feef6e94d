package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// dutyReceiver is the webhook the cluster notifies: it counts each alert.
type dutyReceiver struct {
	mu   sync.Mutex
	seen map[string]int
}

func (d *dutyReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
		} `json:"alerts"`
	}
	if json.NewDecoder(r.Body).Decode(&msg) == nil {
		d.mu.Lock()
		for _, a := range msg.Alerts {
			d.seen[a.Labels["alarm_id"]]++
		}
		d.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

func (d *dutyReceiver) count(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.seen[id]
}

// TestAlertmanagerClusterEveryAlertOnce: two Alertmanagers peered by
// gossip, each alert sent to both (as facmon does, `urls` listing every
// member): the duty receiver gets each alert once; with one member killed
// it still gets every alert, once.
func TestAlertmanagerClusterEveryAlertOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("real Alertmanagers")
	}
	duty := &dutyReceiver{seen: map[string]int{}}
	srv := httptest.NewServer(duty)
	defer srv.Close()
	conf := fmt.Sprintf(`route:
  receiver: duty
  group_by: [alarm_id]
  group_wait: 500ms
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: duty
    webhook_configs:
      - url: %q
        send_resolved: false
`, srv.URL)
	ams := testbed.StartAlertmanagerCluster(t, 2, testbed.AlertmanagerOptions{Config: conf}, "2s")
	send := func(id string, to []*testbed.Alertmanager) {
		body, _ := json.Marshal([]map[string]any{{"labels": map[string]string{"alertname": "intrusion", "alarm_id": id, "severity": "critical"}}})
		for _, am := range to {
			resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
			if err == nil {
				resp.Body.Close()
			}
		}
	}
	groups := func(ids []string) []map[string]string {
		var gs []map[string]string
		for _, id := range ids {
			gs = append(gs, map[string]string{"alarm_id": id})
		}
		return gs
	}
	// arrive waits for each alert at the duty receiver, then until
	// survivor's notification log holds its entry, as new as other's
	// (other nil: just survivor's own, logged once delivered).
	arrive := func(ids []string, survivor, other *testbed.Alertmanager) {
		t.Helper()
		for _, id := range ids {
			testsupport.Eventually(t, 60*time.Second, "alert "+id+" at the duty receiver", func() bool { return duty.count(id) > 0 })
		}
		testsupport.Eventually(t, 30*time.Second, "the alerts' notification log entries at the surviving member", func() bool {
			ok, err := survivor.HoldsEntries(other, groups(ids))
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}, testbed.NotificationLogs(ams))
	}
	var first []string
	for i := range 5 {
		id := fmt.Sprintf("s1:intrusion/pz-%d/1", i)
		first = append(first, id)
		send(id, ams)
	}
	// Killed once Alertmanager 1 knows what 0 notified: it will not send
	// those again.
	arrive(first, ams[1], ams[0])
	ams[0].Kill()
	var second []string
	for i := range 5 {
		id := fmt.Sprintf("s2:intrusion/pz-%d/2", i)
		second = append(second, id)
		send(id, ams) // the dead member refuses; the other takes it
	}
	arrive(second, ams[1], nil)
	// Every alert once. A copy of a first alert from Alertmanager 1 (had
	// 0's entry reached it only after its peer-timeout wait) left before
	// the kill, a group_wait (500 ms) at least ahead of the second alerts.
	for _, id := range append(first, second...) {
		if n := duty.count(id); n != 1 {
			t.Errorf("alert %s reached the duty receiver %d times, want once", id, n)
		}
	}
}
