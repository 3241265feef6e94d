package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms"
	"facmon/alarms/journal"
	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// TestReportCommand runs facmon report on a day long past, beside a
// journal another process holds open (the service), against a real
// InfluxDB: the page, the summary and a PDF printed by headless Chromium
// with the Chinese font embedded. The journal's files are left as they
// were, and the open journal goes on appending.
func TestReportCommand(t *testing.T) {
	in := testbed.StartInflux(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`site: t
name: 测试小区
timezone: Asia/Shanghai
areas: [{id: pump-room, name: 生活水泵房}]
devices:
  - {id: tank-1, name: 1号生活水箱, kind: water_tank, area: pump-room, signals: [{name: level, type: analog, unit: m}]}
  - {id: wm-1, name: 生活水表, kind: water_meter, area: pump-room, signals: [{name: volume, type: counter, unit: m3}]}
storage: {influx: {url: %q, bucket: facmon/autogen}}
`, in.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := time.Date(2025, 3, 10, 0, 0, 0, 0, loc)
	var lines []string
	for i, v := range []float64{2.0, 1.4, 3.1, 2.2} {
		lines = append(lines, fmt.Sprintf("water_tank,area=pump-room,device=tank-1,kind=water_tank,site=t level=%g %d", v, day.Add(time.Duration(i)*5*time.Hour).UnixNano()))
	}
	for i, v := range []float64{100, 112.5} {
		lines = append(lines, fmt.Sprintf("water_meter,area=pump-room,device=wm-1,kind=water_meter,site=t volume=%g %d", v, day.Add(time.Duration(i)*20*time.Hour).UnixNano()))
	}
	resp, err := http.Post(in.URL+"/write?db="+in.DB, "text/plain", strings.NewReader(strings.Join(lines, "\n")))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: %v %v", err, resp)
	}
	resp.Body.Close()

	data := filepath.Join(dir, "data")
	j, err := journal.Open(journal.Options{Dir: filepath.Join(data, "journal"), VerifyInterval: -1, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	raise := alarms.Transition{ID: "x1", Rule: "tank-low", Site: "t", Area: "pump-room", Device: "tank-1", Severity: alarms.Major,
		Message: "1号生活水箱水位低", Labels: map[string]string{"system": "domestic-water"}, Change: alarms.Raise, Time: day.Add(5 * time.Hour)}
	ack := raise
	ack.Change, ack.Time, ack.By = alarms.Ack, raise.Time.Add(3*time.Minute), "王工"
	if err := j.Transitions(context.Background(), []alarms.Transition{raise, ack}); err != nil {
		t.Fatal(err)
	}
	before := dirSizes(t, filepath.Join(data, "journal"))

	htmlOut, pdfOut := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.pdf")
	var stdout, stderr bytes.Buffer
	code := dispatch([]string{"report", "--config", cfg, "--data-dir", data, "--day", "2025-03-10", "--out", htmlOut,
		"--pdf", pdfOut, "--chromium", chromiumOrSkip(t)}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got, want := strings.TrimSpace(stderr.String()), "测试小区 运行日报（2025-03-10）：新增告警1条（紧急0条），未恢复1条，超时1项，离线设备0台。"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	page, err := os.ReadFile(htmlOut)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"测试小区 运行日报 2025-03-10", "1号生活水箱水位低", "03-10 05:00:00", "生活给水",
		`<td class="n">1.4</td><td>03-10 05:00:00</td><td class="n">3.1</td><td>03-10 10:00:00</td>`, "12.50", "3分"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	pdf, err := os.ReadFile(pdfOut)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("NotoSansCJK")) {
		t.Errorf("PDF (%d bytes): want a PDF with the Noto Sans CJK font embedded", len(pdf))
	}
	if after := dirSizes(t, filepath.Join(data, "journal")); after != before {
		t.Errorf("journal files changed by the report:\n before %s\n after  %s", before, after)
	}
	if err := j.Transitions(context.Background(), []alarms.Transition{raise}); err != nil {
		t.Errorf("the open journal no longer appends: %v", err)
	}
}

// The week needs no InfluxDB; bad flags exit 2.
func TestReportCommandFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"report", "--day", "2025-03-10", "--week", "2025-03-10", "--config", "x"}, &out, &errb); code != 2 {
		t.Errorf("--day and --week: exit %d, want 2", code)
	}
	if code := dispatch([]string{"report", "--config", "x", "--lang", "fr"}, &out, &errb); code != 2 {
		t.Errorf("--lang fr: exit %d, want 2", code)
	}
}

func chromiumOrSkip(t *testing.T) string {
	t.Helper()
	const c = "/usr/bin/chromium"
	if testing.Short() {
		t.Skip("browser test")
	}
	if _, err := os.Stat(c); err != nil {
		t.Skip("no " + c)
	}
	return c
}

// dirSizes lists the files of dir with their sizes.
func dirSizes(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			fmt.Fprintf(&b, "%s=%d ", filepath.Base(p), fi.Size())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestReportScheduleAnnounces runs the real binary with report.at a
// minute or so ahead: at that time the report of the day before reaches
// the webhook receiver through the notifiers, with the summary and the
// link, and the link answers with the page behind the login.
func TestReportScheduleAnnounces(t *testing.T) {
	if testing.Short() {
		t.Skip("waits up to 90 s for the report time")
	}
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))
	loc, _ := time.LoadLocation("Asia/Shanghai")
	due := time.Now().Add(90 * time.Second).In(loc).Truncate(time.Minute)
	cfg := writeSite(t, dir, fmt.Sprintf(`site: t1
name: 测试小区
timezone: Asia/Shanghai
areas: [{id: pump-room, name: 泵房}]
devices:
  - {id: tank-1, name: 水箱, kind: water_tank, area: pump-room, signals: [{name: level, type: analog, unit: m}]}
notify:
  public_url: http://%s
  receivers:
    - {name: hook, type: webhook, url: %s}
report: {at: "%s", receivers: [hook]}
`, addr, hook.URL, due.Format("15:04")))
	p := startFacmonAt(t, addr, "--config", cfg, "--data-dir", filepath.Join(dir, "data"))
	yesterday := due.AddDate(0, 0, -1).Format(time.DateOnly)
	link := "http://" + addr + "/reports/" + yesterday
	re := regexp.MustCompile(`运行日报（` + yesterday + `）：[^"]*` + regexp.QuoteMeta(link))
	var got string
	testsupport.Eventually(t, time.Until(due)+30*time.Second, "the report's message at "+due.Format("15:04"), func() bool {
		got = rc.find(re)
		return got != ""
	}, p.log)
	if at := time.Now(); at.Before(due) {
		t.Errorf("announced at %v, before %v", at, due)
	}
	if !strings.Contains(rc.find(regexp.MustCompile(`"event":"report"`)), "report") {
		t.Errorf("message is not a report event: %v", rc.bodies)
	}
	if page := httpGet(link); !strings.Contains(page, "测试小区 运行日报 "+yesterday) {
		t.Errorf("the link %s does not answer with the report page", link)
	}
	if p.metric(`facmon_reports_total{result="announced"}`) != "1" {
		t.Errorf("facmon_reports_total{result=announced} = %q, want 1", p.metric(`facmon_reports_total{result="announced"}`))
	}
}
