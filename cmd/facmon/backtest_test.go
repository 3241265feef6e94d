package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facmon/deploy/testbed"
)

// TestRulesBacktest runs facmon rules backtest against a real InfluxDB
// holding a tank's level that dips to 1.1 m for five minutes: only the
// proposed rule (below 1.2) raises.
func TestRulesBacktest(t *testing.T) {
	in := testbed.StartInflux(t)
	dir := t.TempDir()
	put := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("site.yaml", fmt.Sprintf(`site: t
timezone: Asia/Shanghai
areas: [{id: pump-room}]
devices:
  - {id: tank-1, kind: water_tank, area: pump-room, signals: [{name: level, type: analog, unit: m}]}
rules: [rules/*.yaml]
storage: {influx: {url: %q, bucket: facmon/autogen}}
`, in.URL))
	rule := "rules:\n  - {name: tank-low, severity: major, cite: 篇3·十六·3, select: {kind: water_tank}, signal: level, message: 水位低, threshold: {below: %s}}\n"
	put("rules/tank.yaml", fmt.Sprintf(rule, "1.0"))
	put("new/tank.yaml", fmt.Sprintf(rule, "1.2"))
	loc, _ := time.LoadLocation("Asia/Shanghai")
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, loc)
	var lines []string
	for i := range 20 {
		v := 2.0
		if i >= 5 && i < 10 {
			v = 1.1
		}
		lines = append(lines, fmt.Sprintf("water_tank,area=pump-room,device=tank-1,site=t level=%g %d", v, t0.Add(time.Duration(i)*time.Minute).UnixNano()))
	}
	resp, err := http.Post(in.URL+"/write?db="+in.DB, "text/plain", strings.NewReader(strings.Join(lines, "\n")))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: %v %v", err, resp)
	}
	resp.Body.Close()
	args := []string{"rules", "backtest", "--config", filepath.Join(dir, "site.yaml"), "--from", "2026-11-01", "--to", "2026-11-02",
		"--rules", filepath.Join(dir, "new", "*.yaml")}
	var out, errb bytes.Buffer
	if code := dispatch(append(args, "--format", "json"), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep struct {
		Points   int `json:"points"`
		Appeared []struct {
			Start    string `json:"start"`
			Duration string `json:"duration"`
		} `json:"appeared"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if rep.Points != 20 || len(rep.Appeared) != 1 || rep.Appeared[0].Start != "2026-11-01T08:05:00+08:00" || rep.Appeared[0].Duration != "5m0s" {
		t.Errorf("report: %s", out.String())
	}
	out.Reset()
	if code := dispatch(append(args, "--format", "html", "--lang", "en"), &out, &errb); code != 0 || !strings.Contains(out.String(), "<svg") ||
		!strings.Contains(out.String(), "Alarms that appear (1)") {
		t.Errorf("html: exit %d: %s", code, out.String())
	}
	errb.Reset()
	if code := dispatch(append(args, "--format", "pdf"), &out, &errb); code != 1 || !strings.Contains(errb.String(), `--format "pdf"`) {
		t.Errorf("--format pdf: exit %d: %s", code, errb.String())
	}
}
