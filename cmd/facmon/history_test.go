package main

import (
	"encoding/csv"
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

// historyRow is one transition of GET /api/v1/alarms/history.
type historyRow struct {
	ID, Device, Change, To, By string
	Time                       time.Time
}

// historyOf returns the history of a running facmon, newest first.
func historyOf(p *proc) ([]historyRow, bool) {
	var body struct {
		Transitions []historyRow
		More        bool
	}
	if err := json.Unmarshal([]byte(httpGet(p.url("/api/v1/alarms/history?limit=10000"))), &body); err != nil {
		return nil, false
	}
	return body.Transitions, !body.More
}

// boardState returns the state of device's alarm on the board, "" if none.
func boardState(p *proc, device string) string {
	as, _ := boardOf(p)
	for _, a := range as {
		if a.Device == device {
			return a.State
		}
	}
	return ""
}

// TestHistoryFromTheJournalAcrossRestartAndKill9: an intrusion alarm is
// raised and acknowledged; facmon restarts; the alarm clears (it latches)
// and a second one is raised; facmon is killed with SIGKILL and started
// again. The history (JSON and CSV) shows every transition once, in order,
// with who acknowledged: it is read from the journal, not from memory.
func TestHistoryFromTheJournalAcrossRestartAndKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	dir := t.TempDir()
	cfg := writeSite(t, dir, burstSite(2, mq.URL))
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(burstRules), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", cfg, "--data-dir", filepath.Join(dir, "data")}
	pub := newPublisher(t, mq.URL)
	start := func(what string) *proc {
		p := startFacmon(t, args...)
		testsupport.Eventually(t, 30*time.Second, "mqtt connected "+what, func() bool { return p.metric("facmon_mqtt_connected") == "1" }, p.log)
		return p
	}
	fm := start("at first start")
	pub.publish("t/pz-0000", []byte(`{"alarm":1}`))
	testsupport.Eventually(t, 30*time.Second, "pz-0000 raised", func() bool { return boardState(fm, "pz-0000") == "active-unacknowledged" }, fm.log)
	as, _ := boardOf(fm)
	if code, body := post(fm.url("/api/v1/alarms/"+strings.ReplaceAll(as[0].ID, "/", "%2F")+"/ack"), ""); code != 200 {
		t.Fatalf("ack: %d %s", code, body)
	}

	_ = fm.cmd.Process.Signal(syscall.SIGTERM) // an orderly restart
	_ = fm.cmd.Wait()
	fm = start("after the restart")
	pub.publish("t/pz-0000", []byte(`{"alarm":0}`))
	pub.publish("t/pz-0001", []byte(`{"alarm":1}`))
	testsupport.Eventually(t, 30*time.Second, "pz-0000 cleared (latched), pz-0001 raised", func() bool {
		return boardState(fm, "pz-0000") == "latched" && boardState(fm, "pz-0001") == "active-unacknowledged"
	}, fm.log)

	_ = fm.cmd.Process.Signal(syscall.SIGKILL)
	_ = fm.cmd.Wait()
	fm = start("after kill -9")
	rows, complete := historyOf(fm)
	want := []string{
		"pz-0001 raise active-unacknowledged ",
		"pz-0000 clear latched ",
		"pz-0000 ack active-acknowledged " + testUser,
		"pz-0000 raise active-unacknowledged ",
	}
	var got []string
	for i, r := range rows {
		got = append(got, fmt.Sprintf("%s %s %s %s", r.Device, r.Change, r.To, r.By))
		if i > 0 && r.Time.After(rows[i-1].Time) {
			t.Errorf("history out of order at %d: %v after %v", i, r.Time, rows[i-1].Time)
		}
	}
	if !complete || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history after kill -9 (complete %v):\n%s\nwant:\n%s\nlog:\n%s", complete, strings.Join(got, "\n"), strings.Join(want, "\n"), fm.log.String())
	}
	checkHistoryCSV(t, fm, len(want))
}

// checkHistoryCSV wants the CSV export to hold the same n transitions,
// the ack with its user.
func checkHistoryCSV(t *testing.T, p *proc, n int) {
	t.Helper()
	body := httpGet(p.url("/api/v1/alarms/history?format=csv"))
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != n+1 {
		t.Fatalf("history CSV: %d rows, %v\n%s", len(recs), err, body)
	}
	if recs[0][1] != "change" || recs[0][13] != "by" || recs[3][1] != "ack" || recs[3][13] != testUser {
		t.Fatalf("history CSV: header %v, ack row %v", recs[0], recs[3])
	}
}
