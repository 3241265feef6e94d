package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"facmon/alarms/journal"
	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

const burstRules = `rules:
  - name: intrusion
    severity: critical
    cite: 篇3·二十二·3
    select: {kind: perimeter_zone}
    signal: alarm
    message: '周界报警 {{.Device}}'
    state: {equals: 1}
`

// burstSite has n perimeter detectors in zones of 100, and two one-detector
// zones (zone-d, zone-b) that the test disarms and bypasses.
func burstSite(n int, mqttURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `site: t1
timezone: Asia/Shanghai
rules: [rules.yaml]
areas:
  - {id: wall, name: 围墙}
mqtt:
  url: %s
  subscriptions:
    - {topic: "t/{device}", format: json}
devices:
`, mqttURL)
	ids := make([]string, 0, n+2)
	for i := range n {
		ids = append(ids, fmt.Sprintf("pz-%04d", i))
	}
	ids = append(ids, "pz-d", "pz-b")
	for _, id := range ids {
		fmt.Fprintf(&b, "  - {id: %s, kind: perimeter_zone, area: wall, mqtt: {}, signals: [{name: alarm, type: state}]}\n", id)
	}
	b.WriteString("zones:\n")
	for z := 0; z*100 < n; z++ {
		fmt.Fprintf(&b, "  - {id: zone-%d, kind: perimeter, area: wall, devices: [%s]}\n", z, strings.Join(ids[z*100:min(n, z*100+100)], ", "))
	}
	b.WriteString("  - {id: zone-d, kind: perimeter, area: wall, devices: [pz-d]}\n")
	b.WriteString("  - {id: zone-b, kind: perimeter, area: wall, devices: [pz-b]}\n")
	return b.String()
}

// post POSTs body as the test user and returns the status and the body.
func post(url, body string) (int, string) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.SetBasicAuth(testUser, testPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

type boardAlarm struct {
	ID, Rule, Device, State string
}

// boardOf returns the alarms of a running facmon.
func boardOf(p *proc) ([]boardAlarm, bool) {
	var body struct{ Alarms []boardAlarm }
	if err := json.Unmarshal([]byte(httpGet(p.url("/api/v1/alarms"))), &body); err != nil {
		return nil, false
	}
	return body.Alarms, true
}

// zoneStates returns each zone's state.
func zoneStates(p *proc) map[string]string {
	var body struct{ Zones []struct{ ID, State string } }
	if err := json.Unmarshal([]byte(httpGet(p.url("/api/v1/zones"))), &body); err != nil {
		return nil
	}
	out := map[string]string{}
	for _, z := range body.Zones {
		out[z.ID] = z.State
	}
	return out
}

// TestKill9DuringAlarmBurst: a burst of 1,000 intrusion alarms arrives over
// MQTT while an operator acknowledges them as fast as they show; facmon is
// killed with SIGKILL in the middle. After the restart every alarm that
// was shown is there with the same id, every acknowledgement that was
// answered 200 is there, no detector has two alarms, and the zone states
// (one disarmed, one bypassed, a refused disarm) are as they were.
func TestKill9DuringAlarmBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	const n = 1000
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	dir := t.TempDir()
	cfg := writeSite(t, dir, burstSite(n, mq.URL))
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(burstRules), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", cfg, "--data-dir", filepath.Join(dir, "data")}
	fm := startFacmon(t, args...)
	testsupport.Eventually(t, 30*time.Second, "mqtt connected", func() bool { return fm.metric("facmon_mqtt_connected") == "1" }, fm.log)

	zones := func(p *proc) {
		t.Helper()
		for _, c := range []struct {
			path, body string
			code       int
		}{
			{"/api/v1/zones/zone-d/disarm", `{"password":"wrong"}`, 403},
			{"/api/v1/zones/zone-d/disarm", fmt.Sprintf(`{"password":%q}`, testPassword), 200},
			{"/api/v1/zones/zone-b/bypass", `{"reason":"ladder against the wall"}`, 403},
			{"/api/v1/zones/zone-b/bypass", fmt.Sprintf(`{"reason":"ladder against the wall","password":%q}`, testPassword), 200},
		} {
			if code, body := post(p.url(c.path), c.body); code != c.code {
				t.Fatalf("POST %s: %d %s, want %d", c.path, code, body, c.code)
			}
		}
	}
	zones(fm)
	wantZones := zoneStates(fm)
	if wantZones["zone-d"] != "disarmed" || wantZones["zone-b"] != "bypassed" || wantZones["zone-0"] != "armed" {
		t.Fatalf("zones before the burst: %v", wantZones)
	}

	pub := newPublisher(t, mq.URL)
	publishAll := func() {
		for i := range n {
			pub.publish(fmt.Sprintf("t/pz-%04d", i), []byte(`{"alarm":1}`))
		}
		pub.publish("t/pz-d", []byte(`{"alarm":1}`))
		pub.publish("t/pz-b", []byte(`{"alarm":1}`))
	}
	var wg sync.WaitGroup
	wg.Go(publishAll)

	shown := map[string]string{} // device -> alarm id seen on the board before the kill
	acked := map[string]bool{}   // ids whose ack was answered 200
	for len(acked) < 100 {       // kill early: raises are still arriving
		as, _ := boardOf(fm)
		var ids []string
		for _, a := range as {
			shown[a.Device] = a.ID
			if a.State == "active-unacknowledged" {
				ids = append(ids, a.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		body, _ := json.Marshal(map[string][]string{"ids": ids[:min(len(ids), 50)]})
		code, resp := post(fm.url("/api/v1/alarms/ack"), string(body))
		var r struct{ Acked []string }
		if err := json.Unmarshal([]byte(resp), &r); code != 200 || err != nil {
			t.Fatalf("bulk ack: %d %s", code, resp)
		}
		for _, id := range r.Acked {
			acked[id] = true
		}
	}
	_ = fm.cmd.Process.Signal(syscall.SIGKILL)
	_ = fm.cmd.Wait()
	killed := fm
	t.Logf("killed with %d alarms shown, %d acknowledged", len(shown), len(acked))
	wg.Wait()

	fm = startFacmon(t, args...)
	testsupport.Eventually(t, 30*time.Second, "mqtt connected after restart", func() bool { return fm.metric("facmon_mqtt_connected") == "1" }, fm.log)
	publishAll() // the detectors report again; a standing alarm must not be raised twice
	var as []boardAlarm
	testsupport.Eventually(t, 60*time.Second, "all 1,000 alarms after restart", func() bool {
		var ok bool
		as, ok = boardOf(fm)
		return ok && len(as) >= n
	}, fm.log)

	byDevice := map[string]boardAlarm{}
	for _, a := range as {
		if prev, dup := byDevice[a.Device]; dup {
			t.Fatalf("device %s has two alarms: %s and %s", a.Device, prev.ID, a.ID)
		}
		byDevice[a.Device] = a
	}
	if len(byDevice) != n {
		t.Fatalf("%d devices in alarm, want %d (zone-d and zone-b must not raise)", len(byDevice), n)
	}
	for dev, id := range shown {
		if a := byDevice[dev]; a.ID != id {
			t.Fatalf("%s: alarm %s shown before the kill, %q after the restart\nlog of the killed facmon:\n%s", dev, id, a.ID, killed.log.String())
		}
	}
	for _, a := range as {
		if acked[a.ID] && a.State != "active-acknowledged" {
			t.Fatalf("%s: acknowledged before the kill, %s after the restart", a.ID, a.State)
		}
		delete(acked, a.ID)
	}
	if len(acked) > 0 {
		t.Fatalf("%d acknowledged alarms missing after the restart", len(acked))
	}
	got := zoneStates(fm)
	for z, st := range wantZones {
		if got[z] != st {
			t.Fatalf("zone %s: %s after the restart, want %s", z, got[z], st)
		}
	}
	_ = fm.cmd.Process.Signal(syscall.SIGKILL)
	_ = fm.cmd.Wait()
	if code, out := runVerify(filepath.Join(dir, "data")); code != 0 {
		t.Fatalf("facmon journal verify after kill -9: exit %d\n%s", code, out)
	}
	checkRefusedDisarm(t, filepath.Join(dir, "data", "journal"))
}

// checkRefusedDisarm wants the refused disarm and the refused bypass in the
// journal: who, which zone, why (篇3·二十二·5).
func checkRefusedDisarm(t *testing.T, dir string) {
	t.Helper()
	j, err := journal.Open(journal.Options{Dir: dir, VerifyInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	recs, err := j.Range(time.Time{}, time.Time{}, journal.Filter{Types: []journal.Type{journal.TypeRefusedAction}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs {
		if r.User == testUser && strings.Contains(r.Reason, "password") {
			got[r.Action] = r.Subject
		}
	}
	if len(recs) != 2 || got["disarm"] != "zone-d" || got["bypass"] != "zone-b" {
		t.Fatalf("refused actions in the journal (want the disarm and the bypass without a password): %+v", recs)
	}
}

// runVerify runs facmon journal verify on a data dir.
func runVerify(data string) (int, string) {
	code, o, e := run("journal", "verify", "--data-dir", data)
	return code, o + e
}
