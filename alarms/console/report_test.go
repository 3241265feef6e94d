package console_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// The daily report is reachable from the console: the 报告 link opens the
// list, the list opens the day, which shows the alarm raised today by its
// device's name. The pages are behind the console's login like the rest.
func TestReportFromConsole(t *testing.T) {
	needBrowser(t)
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	dir := t.TempDir()
	fm := startFacmon(t, writeSite(t, dir, siteOptions{mqttURL: mq.URL}), filepath.Join(dir, "data"))
	post(fm.url("/api/v1/zones/arm-all"), "op", "op-password", "{}")
	publish(t, mqttClient(t, mq.URL), "north-wall-1", 1)
	var board struct {
		Alarms []struct {
			Device      string
			ActiveSince time.Time `json:"active_since"`
		} `json:"alarms"`
	}
	testsupport.Eventually(t, 20*time.Second, "the alarm on the board", func() bool {
		board.Alarms = nil
		_ = json.Unmarshal([]byte(get(fm.url("/api/v1/alarms"), "op", "op-password")), &board)
		return len(board.Alarms) > 0
	})
	sh, _ := time.LoadLocation("Asia/Shanghai")
	day := board.Alarms[0].ActiveSince.In(sh).Format(time.DateOnly)

	for _, path := range []string{"/reports/", "/reports/" + day} {
		if code := status(fm.url(path), "op", "wrong-password"); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: %d, want 401", path, code)
		}
	}
	page := get(fm.url("/reports/"+day), "op", "op-password")
	for _, want := range []string{"测试小区 运行日报 " + day, "周界报警：北围墙1防区探测器", "北围墙1防区探测器"} {
		if !strings.Contains(page, want) {
			t.Errorf("report page lacks %q", want)
		}
	}

	b := newBrowser(t)
	b.login(t, fm, "op")
	if got := eval[string](t, b, `document.getElementById("reports-link").textContent`); got != "报告" {
		t.Errorf("console link %q, want 报告", got)
	}
	href := eval[string](t, b, `document.getElementById("reports-link").href`)
	b.do(t, "open the report list", chromedp.Navigate(href), chromedp.WaitVisible(chromedp.ID("days")))
	b.do(t, "open the day", chromedp.Click(chromedp.CSS(`#days a[href="`+day+`"]`)), chromedp.WaitVisible(chromedp.ID("title")))
	if got := eval[string](t, b, `document.getElementById("title").textContent`); got != "测试小区 运行日报 "+day {
		t.Errorf("report title %q", got)
	}
	// The page's own style applies (the console's Content-Security-Policy
	// would block an inline style sheet).
	if got := eval[string](t, b, `getComputedStyle(document.querySelector(".kpis")).display + " " + getComputedStyle(document.querySelector("h2")).borderBottomStyle`); got != "flex solid" {
		t.Errorf("report style not applied: .kpis display, h2 border = %q, want \"flex solid\"", got)
	}
	if got := eval[string](t, b, `document.getElementById("kpi-raised").textContent`); got != "1" {
		t.Errorf("raised %q, want 1", got)
	}
	if got := eval[string](t, b, `document.querySelector("#standing td:nth-child(2)").textContent`); got != "北围墙1防区探测器" {
		t.Errorf("standing alarm's device %q", got)
	}
	b.screenshot(t, "/tmp/facmon-console-report.png")
}
