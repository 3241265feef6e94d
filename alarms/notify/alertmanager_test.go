package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/deploy/testbed"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// amWebhook is the body Alertmanager posts to a webhook receiver.
type amWebhook struct {
	Status string `json:"status"`
	Alerts []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"alerts"`
}

// amConfig routes everything to the sink, grouping quickly.
func amConfig(url string) string {
	return `
route:
  receiver: test
  group_by: [site, alertname, device]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: ` + url + `
        send_resolved: true
`
}

// amSite has one Alertmanager receiver for every alarm.
func amSite(amURL string) *site.Notify {
	return &site.Notify{
		FloodHold: 0, PublicURL: "https://facmon.example",
		Receivers: []site.Receiver{{Name: "am", Type: site.ReceiverAlertmanager, URL: amURL,
			Resend: site.Duration(time.Minute), Timeout: site.Duration(5 * time.Second)}},
		Routes: []site.Route{{Receivers: []string{"am"}}},
	}
}

// TestThroughRealAlertmanager: an alarm raised in facmon arrives at the
// receiver through a real Alertmanager, and its clear arrives as resolved.
func TestThroughRealAlertmanager(t *testing.T) {
	hook := newSink(t)
	am := testbed.StartAlertmanager(t, testbed.AlertmanagerOptions{Config: amConfig(hook.URL() + "/am")})
	s := newService(t, amSite(am.URL), t.TempDir(), time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	r := raise("fire-tank-low", "fire-tank-1", alarms.Critical, time.Now())
	if err := s.Transitions(ctx, []alarms.Transition{r}); err != nil {
		t.Fatal(err)
	}
	firing := waitForAM(t, hook, "firing")
	a := firing.Alerts[0]
	if a.Labels["alertname"] != "fire-tank-low" || a.Labels["device"] != "fire-tank-1" || a.Labels["severity"] != "critical" ||
		a.Labels["site"] != "demo" || a.Annotations["clause"] != "篇3·十五·7" || !strings.Contains(a.Annotations["console"], "alarm=") {
		t.Errorf("firing alert %+v", a)
	}
	if err := s.Transitions(ctx, []alarms.Transition{clearOf(r, time.Now())}); err != nil {
		t.Fatal(err)
	}
	resolved := waitForAM(t, hook, "resolved")
	if resolved.Alerts[0].Labels["device"] != "fire-tank-1" {
		t.Errorf("resolved %+v", resolved)
	}
}

// waitForAM waits for an Alertmanager notification with status.
func waitForAM(t *testing.T, hook *sink, status string) amWebhook {
	t.Helper()
	var found amWebhook
	testsupport.Eventually(t, 30*time.Second, "alertmanager "+status, func() bool {
		for _, g := range hook.requests() {
			var w amWebhook
			if json.Unmarshal(g.Body, &w) == nil && w.Status == status && len(w.Alerts) > 0 {
				found = w
				return true
			}
		}
		return false
	})
	return found
}

// deployConfig is the deploy Alertmanager configuration with its
// receivers pointed at url.
func deployConfig(t testing.TB, url string) string {
	b, err := os.ReadFile("../../deploy/alertmanager/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "http://dingtalk:8060/dingtalk/duty/send", url)
	return strings.ReplaceAll(s, "http://dingtalk:8060/dingtalk/control-room/send", url)
}

// TestHeartbeatThroughRealAlertmanager: the Watchdog alert goes through
// the whole path and arrives firing, as a dead-man receiver expects.
func TestHeartbeatThroughRealAlertmanager(t *testing.T) {
	hook := newSink(t)
	am := testbed.StartAlertmanager(t, testbed.AlertmanagerOptions{Config: amConfig(hook.URL() + "/am")})
	n := amSite(am.URL)
	n.Heartbeat = site.Heartbeat{Interval: site.Duration(time.Second), Receivers: []string{"am"}}
	s := newService(t, n, t.TempDir(), time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	w := waitForAM(t, hook, "firing")
	if w.Alerts[0].Labels["alertname"] != WatchdogAlert || w.Alerts[0].Labels["site"] != "demo" {
		t.Fatalf("got %+v", w)
	}
}

// TestRealAlertmanagerGetsChineseSummaryAndLocalTime: the annotations a
// real Alertmanager hands to its templates carry the Chinese summary and
// the site's local time (an alarm raised at 20:47 UTC in Shanghai says
// 04:47 of the next day).
func TestRealAlertmanagerGetsChineseSummaryAndLocalTime(t *testing.T) {
	hook := newSink(t)
	am := testbed.StartAlertmanager(t, testbed.AlertmanagerOptions{Config: amConfig(hook.URL() + "/am")})
	st := lakeside(t)
	n := amSite(am.URL)
	b, err := Build(n, &http.Client{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Notify: n, SiteID: st.ID, Location: st.Location, Names: NamesOf(st), Receivers: b.Receivers,
		Resend: b.Resend, OutboxDir: t.TempDir(), Now: time.Now, Backoff: Backoff{Min: 20 * time.Millisecond, Max: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	r := lakesideAlarm("fence-intrusion", "fence-e1", "east-fence", "东围墙1防区 入侵报警", "派保安到东围墙1防区查看", at0)
	if err := s.Transitions(ctx, []alarms.Transition{r}); err != nil {
		t.Fatal(err)
	}
	a := waitForAM(t, hook, "firing").Alerts[0]
	want := map[string]string{
		"summary": "湖畔花园 紧急告警：东围墙1防区 入侵报警 12-07 04:47:10", "time": "12-07 04:47:10",
		"site_name": "湖畔花园", "area_name": "东围墙", "device_name": "东围墙1防区", "severity_name": "紧急",
		"action": "派保安到东围墙1防区查看", "camera": "http://nvr.local/cam/east-1",
	}
	for k, v := range want {
		if a.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, a.Annotations[k], v)
		}
	}
	if d := a.Annotations["description"]; !strings.Contains(d, "- 时间：12-07 04:47:10\n- 处置：派保安到东围墙1防区查看") {
		t.Errorf("description %q", d)
	}
	if a.Labels["device"] != "fence-e1" || a.Labels["alertname"] != "fence-intrusion" {
		t.Errorf("labels (ids, for routing) %v", a.Labels)
	}
}
