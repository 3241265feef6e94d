package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// TestBrokerDropsRaiseASelfCheckAlarm is issue 12's self-supervision
// proof: a Mosquitto with its stock limits (1,000 queued, 20 in flight per
// client, $SYS every 10 s) overflows while facmon is frozen (SIGSTOP, as
// when it is busy or restarting); within seconds of facmon resuming, the
// console's board holds the critical self-check alarm naming the broker
// and the count dropped.
func TestBrokerDropsRaiseASelfCheckAlarm(t *testing.T) {
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{Extra: "max_queued_messages 1000\nmax_inflight_messages 20\n"})
	dir := t.TempDir()
	siteText := strings.Replace(burstSite(2, mq.URL), "rules: [rules.yaml]", "rules: [rules.yaml, selfcheck.yaml]", 1)
	cfg := writeSite(t, dir, siteText)
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(burstRules), 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "../../seeds/rules/selfcheck.yaml", filepath.Join(dir, "selfcheck.yaml"))
	fm := startFacmon(t, "--config", cfg, "--data-dir", filepath.Join(dir, "data"))
	testsupport.Eventually(t, 30*time.Second, "mqtt connected", func() bool { return fm.metric("facmon_mqtt_connected") == "1" }, fm.log)

	if err := fm.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	pub := newPublisher(t, mq.URL)
	const burst = 3000
	for range burst {
		pub.publish("t/pz-0000", []byte(`{"alarm":0}`))
	}
	if err := fm.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	var alarm struct{ Rule, Device, Message, Severity string }
	testsupport.Eventually(t, 30*time.Second, "the broker-dropping-messages alarm on the board", func() bool {
		var body struct {
			Alarms []struct{ Rule, Device, Message, Severity string }
		}
		if err := json.Unmarshal([]byte(httpGet(fm.url("/api/v1/alarms"))), &body); err != nil {
			return false
		}
		for _, a := range body.Alarms {
			if a.Rule == "broker-dropping-messages" {
				alarm = a
				return true
			}
		}
		return false
	}, fm.log)
	t.Logf("%.1f s after facmon resumed: %s %s on %s: %s", time.Since(resumed).Seconds(), alarm.Severity, alarm.Rule, alarm.Device, alarm.Message)
	broker := strings.TrimPrefix(mq.URL, "tcp://")
	if alarm.Device != "mqtt-broker" || !strings.Contains(alarm.Message, broker) || !strings.Contains(alarm.Message, "丢弃了") {
		t.Fatalf("alarm %+v does not name the broker %s and the count", alarm, broker)
	}
	var n int
	if _, err := fmt.Sscanf(alarm.Message[strings.Index(alarm.Message, "丢弃了")+len("丢弃了"):], "%d", &n); err != nil || n <= 0 || n > burst {
		t.Fatalf("count dropped in %q: %d (%v)", alarm.Message, n, err)
	}
}
