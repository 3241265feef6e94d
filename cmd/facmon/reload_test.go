package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

const reloadRules = `rules:
  - name: tank-low
    severity: major
    cite: 篇3·十六·3
    select: {device: tank-1}
    signal: level
    message: '水位低 {{.Value}}'
    threshold: {below: 1, deadband: 0.1}
`

// TestRuleReloadWithBrokenFileKeepsOldRules: a broken rule file on SIGHUP
// is reported (file:line, the metric) and the old rules keep raising and
// clearing alarms.
func TestRuleReloadWithBrokenFileKeepsOldRules(t *testing.T) {
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	dir := t.TempDir()
	site := fmt.Sprintf(`site: t1
timezone: Asia/Shanghai
rules: [rules.yaml]
areas:
  - {id: pump-room, name: 泵房}
mqtt:
  url: %s
  subscriptions:
    - {topic: "t/{device}", format: json}
devices:
  - id: tank-1
    name: 水箱
    kind: water_tank
    area: pump-room
    mqtt: {}
    signals:
      - {name: level, type: analog, unit: m}
`, mq.URL)
	cfg := writeSite(t, dir, site)
	rulesFile := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte(reloadRules), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startFacmon(t, "--config", cfg, "--data-dir", filepath.Join(dir, "data"))
	testsupport.Eventually(t, 20*time.Second, "mqtt connected", func() bool { return p.metric("facmon_mqtt_connected") == "1" }, p.log)
	pub := newPublisher(t, mq.URL)
	level := func(v float64) { pub.publish("t/tank-1", fmt.Appendf(nil, `{"level":%g}`, v)) }
	has := func(state string) bool { return hasAlarm(p.url(""), "tank-low/tank-1", state) }

	level(0.5)
	testsupport.Eventually(t, 10*time.Second, "tank-low raised", func() bool { return has("active-unacknowledged") }, p.log)

	if err := os.WriteFile(rulesFile, []byte(reloadRules+"    bogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	testsupport.Eventually(t, 10*time.Second, "failed rule reload reported", func() bool {
		return p.metric("facmon_rules_last_reload_successful") == "0"
	}, p.log)
	if !regexp.MustCompile(`rules\.yaml:\d+:\d+: .*bogus`).MatchString(p.log.String()) {
		t.Fatalf("log does not name the broken line:\n%s", p.log.String())
	}
	level(2)
	testsupport.Eventually(t, 10*time.Second, "old rule clears", func() bool { return has("cleared-unacknowledged") }, p.log)
	level(0.5)
	testsupport.Eventually(t, 10*time.Second, "old rule raises again", func() bool {
		return has("active-unacknowledged") && has("cleared-unacknowledged")
	}, p.log)
}
