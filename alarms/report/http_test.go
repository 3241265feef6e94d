package report_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facmon/alarms/report"
	"facmon/internal/site"
)

// The pages' answers: a day, the list, English, a period not begun, a
// bad id; no script allowed, inline style only.
func TestReportPages(t *testing.T) {
	dir := t.TempDir()
	s, _ := loadSite(t, dir, "")
	writeJournal(t, filepath.Join(dir, "journal"))
	mux := http.NewServeMux()
	report.Mount(mux.Handle, report.HandlerOptions{
		Site: func() *site.Site { return s },
		Options: func(s *site.Site, lang string) (report.Options, error) {
			o, err := report.OptionsFor(s, dir, lang)
			o.Now = func() time.Time { return at(1, 7, 0, 0) }
			return o, err
		},
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/reports/2026-12-05", 200, "测试小区 运行日报 2026-12-05"},
		{"/reports/2026-12-05?lang=en", 200, "测试小区 Daily report 2026-12-05"},
		{"/reports/week-2026-12-05", 200, "测试小区 运行周报 2026-11-30 — 2026-12-06"},
		{"/reports/2026-12-05", 200, "未配置InfluxDB，无读数统计"},
		{"/reports/", 200, `<a href="week-`},
		{"/reports/2026-12-07", 404, "has not begun"},
		{"/reports/yesterday", 404, `day "yesterday": want YYYY-MM-DD`},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s: %d, want %d with %q:\n%.300s", tc.path, resp.StatusCode, tc.code, tc.want, body)
		}
		if tc.code == 200 && !strings.HasPrefix(resp.Header.Get("Content-Security-Policy"), "default-src 'none'; style-src 'unsafe-inline'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.path, resp.Header.Get("Content-Security-Policy"))
		}
	}
}
