package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

// receiver is a webhook receiver that keeps every body it gets.
type receiver struct {
	mu     sync.Mutex
	bodies []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, string(b))
	rc.mu.Unlock()
}

func (rc *receiver) find(re *regexp.Regexp) string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, b := range rc.bodies {
		if m := re.FindString(b); m != "" {
			return m
		}
	}
	return ""
}

// TestNotifyAndAckFromThePhone runs the real binary with a notify section:
// an alarm raised by an MQTT reading reaches the duty person's webhook
// receiver with a signed ack link; POSTing the link (as the phone's page
// does) acknowledges the alarm as that person; using it again is refused.
func TestNotifyAndAckFromThePhone(t *testing.T) {
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ack.key"), []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(reloadRules), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))
	cfg := writeSite(t, dir, fmt.Sprintf(`site: t1
timezone: Asia/Shanghai
rules: [rules.yaml]
areas:
  - {id: pump-room, name: 泵房}
mqtt:
  url: %s
  subscriptions:
    - {topic: "t/{device}", format: json}
notify:
  public_url: http://%s
  ack_secret_file: ack.key
  receivers:
    - {name: hook, type: webhook, url: %s}
  people:
    - {id: zhang, name: 张工, receivers: [hook]}
  shifts:
    - {name: all-day, levels: [[zhang]]}
  routes:
    - {receivers: [], duty: true}
devices:
  - id: tank-1
    name: 水箱
    kind: water_tank
    area: pump-room
    mqtt: {}
    signals:
      - {name: level, type: analog, unit: m}
`, mq.URL, addr, hook.URL))
	p := startFacmonAt(t, addr, "--config", cfg, "--data-dir", filepath.Join(dir, "data"))
	testsupport.Eventually(t, 20*time.Second, "mqtt connected", func() bool { return p.metric("facmon_mqtt_connected") == "1" }, p.log)
	newPublisher(t, mq.URL).publish("t/tank-1", []byte(`{"level":0.5}`))

	link := regexp.MustCompile(`http://` + regexp.QuoteMeta(addr) + `/ack/[A-Za-z0-9_\-.~%]+`)
	var ack string
	testsupport.Eventually(t, 20*time.Second, "the duty person's message with an ack link", func() bool {
		ack = rc.find(link)
		return ack != ""
	}, p.log)
	if !strings.Contains(rc.find(regexp.MustCompile(`水位低[^"]*`)), "水位低") {
		t.Fatalf("message lacks the rule's text; got %v", rc.bodies)
	}
	post := func() int {
		resp, err := http.Post(ack, "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(); code != http.StatusOK {
		t.Fatalf("ack link POST = %d", code)
	}
	testsupport.Eventually(t, 10*time.Second, "alarm acknowledged by zhang", func() bool {
		return hasAlarm(p.url(""), "tank-low/tank-1", "active-acknowledged") &&
			strings.Contains(httpGet(p.url("/api/v1/alarms")), `"zhang"`)
	}, p.log)
	if code := post(); code != http.StatusConflict {
		t.Fatalf("reused ack link = %d, want 409", code)
	}
}
