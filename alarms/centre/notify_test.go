package centre

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"facmon/alarms/uplink"
	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// dutyHook is the webhook the Alertmanager notifies: each alert of each
// notification, with its status.
type dutyHook struct {
	mu     sync.Mutex
	alerts []hookAlert
}

type hookAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

func (d *dutyHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Alerts []hookAlert `json:"alerts"`
	}
	b, _ := io.ReadAll(r.Body)
	if json.Unmarshal(b, &msg) == nil {
		d.mu.Lock()
		d.alerts = append(d.alerts, msg.Alerts...)
		d.mu.Unlock()
	}
}

// count is how many notified alerts had status and the labels.
func (d *dutyHook) count(status string, labels map[string]string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
next:
	for _, a := range d.alerts {
		if a.Status != status {
			continue
		}
		for k, v := range labels {
			if a.Labels[k] != v {
				continue next
			}
		}
		n++
	}
	return n
}

// first is the first notified alert with status.
func (d *dutyHook) first(status string) hookAlert {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range d.alerts {
		if a.Status == status {
			return a
		}
	}
	return hookAlert{}
}

func (d *dutyHook) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, _ := json.Marshal(d.alerts)
	return string(b)
}

// notifyCentre is a centre whose own alarms go through alarms/notify,
// built from centre.yaml as facmon centre builds it, on clock.
type notifyCentre struct {
	c      *Centre
	wg     sync.WaitGroup
	cancel context.CancelFunc
	done   chan struct{}
}

func startNotifyCentre(t *testing.T, cfg *Config, dir string, clock *testsupport.Clock, hc *http.Client) *notifyCentre {
	t.Helper()
	ns, err := NewNotify(cfg, NotifyOptions{DataDir: dir, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Config: cfg, DataDir: dir, Clock: clock.Now, HTTP: hc, Notifier: ns.Service})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &notifyCentre{c: c, cancel: cancel, done: make(chan struct{})}
	go func() { _ = ns.Service.Run(ctx); _ = ns.Close(); close(n.done) }()
	up := true // connected to the central broker, as onConnect says
	c.handle(ctx, &n.wg, event{link: &up})
	return n
}

// stop ends the notifier and closes the journal, as a process ending.
func (n *notifyCentre) stop() {
	n.cancel()
	<-n.done
	n.wg.Wait()
	n.c.j.Close()
}

// beat hands the centre a heartbeat of s1, as Run would.
func (n *notifyCentre) beat(online bool) {
	ctx := context.Background()
	n.c.handle(ctx, &n.wg, event{site: "s1", beat: &uplink.Heartbeat{Site: "s1", Online: online}})
	n.c.flush(ctx)
}

// TestSiteOfflineThroughRealAlertmanager: centre.yaml's notify section
// (the site file's shape, checked by its checker) sends the centre's own
// site-offline alarm to a real Alertmanager when the heartbeat falls
// silent past offline_after on the centre's clock, labelled alertname,
// site, site_name and severity; the next heartbeat resolves it. A
// site-offline raised by the last-will before a restart is resolved after
// it (the notifier resumes the centre's active alarms).
func TestSiteOfflineThroughRealAlertmanager(t *testing.T) {
	if testing.Short() {
		t.Skip("real Alertmanager")
	}
	duty := &dutyHook{}
	hook := httptest.NewServer(duty)
	defer hook.Close()
	am := testbed.StartAlertmanager(t, testbed.AlertmanagerOptions{Config: fmt.Sprintf(`route:
  receiver: duty
  group_by: ['...']
  group_wait: 100ms
  group_interval: 1s
  repeat_interval: 4h
receivers:
  - name: duty
    webhook_configs:
      - {url: %q, send_resolved: true}
`, hook.URL)})
	edge := &edgeHistory{token: strings.Repeat("t", 32)}
	api := httptest.NewServer(edge)
	defer api.Close()
	src := fmt.Sprintf(`name: 集团监控中心
timezone: Asia/Shanghai
broker: {url: "tcp://127.0.0.1:1"}
offline_after: 2s
sites:
  - {id: s1, name: 东区, url: %q, token_file: s1.token, key_file: s1.key}
notify:
  receivers:
    - {name: cluster, type: alertmanager, urls: [%q], resend: 1m}
  routes:
    - {severities: [critical], receivers: [cluster]}
`, api.URL, am.URL)
	cfg, err := ParseConfig("centre.yaml", []byte(src), func(string) ([]byte, error) { return []byte(strings.Repeat("t", 32)), nil })
	if err != nil {
		t.Fatal(err)
	}
	// Alertmanager judges alerts by its wall clock: a resolve whose end
	// lies in its future is taken as a later end of a firing alert. The
	// centre's clock starts a minute behind the wall and the test moves it
	// by seconds, so the ends it sends are in the past, as a real clock's
	// are.
	clock := testsupport.NewClock(time.Now().Add(-time.Minute))
	dir := t.TempDir()
	n := startNotifyCentre(t, cfg, dir, clock, api.Client())
	ctx := context.Background()
	offline := map[string]string{"alertname": SiteOfflineRule, "site": "s1", "site_name": "东区", "severity": "critical"}

	n.beat(true)
	clock.Add(1900 * time.Millisecond)
	n.c.check(ctx, &n.wg, clock.Now())
	if n.c.sites["s1"].offline != "" {
		t.Fatal("site-offline before offline_after")
	}
	clock.Add(200 * time.Millisecond)
	n.c.check(ctx, &n.wg, clock.Now())
	if n.c.sites["s1"].offline == "" {
		t.Fatal("no site-offline after offline_after")
	}
	clock.Add(100 * time.Millisecond) // past the notifier's flood hold
	testsupport.Eventually(t, 30*time.Second, "site-offline firing at the duty receiver", func() bool {
		return duty.count("firing", offline) > 0
	}, duty)
	if a := duty.first("firing"); !strings.HasPrefix(a.Annotations["summary"], "东区 紧急告警：小区 东区 与监控中心失联（心跳超时） ") ||
		!strings.Contains(a.Annotations["description"], "- 位置：东区\n") {
		t.Errorf("site-offline's text: %q", a.Annotations)
	}
	n.beat(true)
	testsupport.Eventually(t, 30*time.Second, "site-offline resolved at the duty receiver", func() bool {
		return duty.count("resolved", offline) > 0
	}, duty, stringerFunc(func() string {
		resp, err := http.Get(am.URL + "/api/v2/alerts")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}))
	if f, r := duty.count("firing", offline), duty.count("resolved", offline); f != 1 || r != 1 {
		t.Fatalf("site-offline notified firing %d and resolved %d times, want once each: %s", f, r, duty)
	}

	// raised by the last-will, the centre restarted, then back online
	clock.Add(time.Second)
	n.beat(false)
	clock.Add(100 * time.Millisecond)
	testsupport.Eventually(t, 30*time.Second, "site-offline (last-will) firing", func() bool {
		return duty.count("firing", offline) == 2
	}, duty)
	n.stop()
	n = startNotifyCentre(t, cfg, dir, clock, api.Client())
	defer n.stop()
	if n.c.sites["s1"].offline == "" {
		t.Fatal("site-offline not restored")
	}
	n.beat(true)
	testsupport.Eventually(t, 30*time.Second, "site-offline resolved after the restart", func() bool {
		return duty.count("resolved", offline) == 2
	}, duty)
}

type stringerFunc func() string

func (f stringerFunc) String() string { return f() }

// TestConfigNotifyErrors: centre.yaml's notify section is checked by the
// site file's checker, each mistake at centre.yaml:line:col together with
// the centre's own; secrets only from files.
func TestConfigNotifyErrors(t *testing.T) {
	read := func(p string) ([]byte, error) { return []byte(strings.Repeat("k", 32)), nil }
	src := `broker: {url: tcp://127.0.0.1:1883}
sites:
  - {id: s1, url: https://s1:8080, token_file: t, key_file: k, colour: red}
notify:
  receivers:
    - name: cluster
      type: alertmanager
      urls: [http://am-1:9093, ftp://am-2:9093]
      secret: hunter2
  routes:
    - {severities: [critical], receivers: [clutser]}
`
	_, err := ParseConfig("centre.yaml", []byte(src), read)
	for _, want := range []string{
		`centre.yaml:3:64: site "s1": unknown key "colour"`,
		`centre.yaml:8:13: notify: receiver "cluster": urls scheme "ftp" unknown`,
		`centre.yaml:9:7: notify.receivers[0]: key "secret" not allowed: secrets go in secret_file or env FACMON_NOTIFY_<NAME>_SECRET, never inline`,
		`centre.yaml:11:43: notify: route #1: receivers: receiver "clutser" not defined under notify`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nlacks %q", err, want)
		}
	}
	ok := strings.NewReplacer(", colour: red", "", ", ftp://am-2:9093", ", http://am-2:9093", "      secret: hunter2\n", "", "clutser", "cluster").Replace(src)
	c, err := ParseConfig("centre.yaml", []byte(ok), read)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := c.Notify.Receiver("cluster")
	if len(r.URLs) != 2 || r.Resend.Std() != time.Minute || c.Notify.FloodHold == 0 {
		t.Fatalf("notify not checked or without defaults: %+v", c.Notify)
	}
	if c, err := ParseConfig("centre.yaml", []byte(strings.Split(ok, "notify:")[0]), read); err != nil || c.Notify != nil {
		t.Fatalf("without notify: %v %+v", err, c)
	}
}
