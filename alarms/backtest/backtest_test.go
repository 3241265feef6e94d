package backtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"facmon/alarms/backtest"
	"facmon/alarms/backtest/history"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/deploy/testbed"
	"facmon/internal/site"
)

const tankSite = `site: t
timezone: Asia/Shanghai
areas: [{id: pump-room}]
devices:
  - id: tank-1
    kind: water_tank
    area: pump-room
    signals: [{name: level, type: analog, unit: m}]
rules: [rules/*.yaml]
storage:
  influx: {url: %URL%, bucket: facmon/autogen}
`

const oldRules = `rules:
  - name: tank-low
    severity: critical
    cite: 篇3·十六·3
    select: {kind: water_tank}
    signal: level
    message: 水位低
    threshold: {below: 1.0}
`

const newRules = `rules:
  - name: tank-low
    severity: critical
    cite: 篇3·十六·3
    select: {kind: water_tank}
    signal: level
    message: 水位低
    threshold: {below: 1.2, deadband: 0.1, on_delay: 30s}
`

// tankHistory is two weeks of tank-1's level, one point a minute at 2.0 m,
// with the stretches below (times after t0, the site's midnight).
type stretch struct {
	at     time.Duration
	values []float64 // one a minute
}

var (
	day       = 24 * time.Hour
	stretches = []stretch{
		{1*day + 3*time.Hour, repeat(0.8, 20)},                                           // deep dip: both raise
		{3*day + 10*time.Hour, repeat(1.1, 15)},                                          // shallow dip: only the new rule
		{7*day + 8*time.Hour, []float64{0.95, 1.05, 0.95, 1.05, 0.95, 1.05, 0.95, 1.05}}, // chattering round 1.0
		{9*day + 11*time.Hour + 50*time.Minute, repeat(1.1, 10)},                         // low before the gap
		{11*day + 20*time.Hour, repeat(0.8, 15)},                                         // offline for the first 10 min
		{14*day - 10*time.Minute, repeat(0.5, 10)},                                       // still low at the end
	}
	gapFrom, gapTo = 9*day + 12*time.Hour, 9*day + 14*time.Hour
	offFrom, offTo = 11*day + 20*time.Hour, 11*day + 20*time.Hour + 10*time.Minute
	spike          = 5*day + 14*time.Hour // one 0.9 m reading, 2.0 m 20 s later
)

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// tankHistory yields the history in time order, a day per batch.
func tankHistory(t0 time.Time) func(func([]collectors.Point) bool) {
	level := func(at time.Duration) float64 {
		for _, s := range stretches {
			if at >= s.at && at < s.at+time.Duration(len(s.values))*time.Minute {
				return s.values[(at-s.at)/time.Minute]
			}
		}
		return 2.0
	}
	pt := func(at time.Duration, sig string, v float64) collectors.Point {
		p := collectors.Point{Site: "t", Area: "pump-room", Kind: "water_tank", Device: "tank-1", Signal: sig, Value: v, Time: t0.Add(at)}
		if sig == collectors.StatusSignal && v != float64(collectors.Online) {
			p.Quality = collectors.Bad
		}
		return p
	}
	return func(yield func([]collectors.Point) bool) {
		var batch []collectors.Point
		for at := time.Duration(0); at < 14*day; at += time.Minute {
			switch {
			case at >= gapFrom && at < gapTo:
				continue
			case at == offFrom:
				batch = append(batch, pt(at, collectors.StatusSignal, float64(collectors.Offline)))
			case at == offTo:
				batch = append(batch, pt(at, collectors.StatusSignal, float64(collectors.Online)))
			}
			batch = append(batch, pt(at, "level", level(at)))
			if at == spike {
				batch[len(batch)-1].Value = 0.9
				batch = append(batch, pt(at+20*time.Second, "level", 2.0))
			}
			if at%day == day-time.Minute {
				if !yield(batch) {
					return
				}
				batch = nil
			}
		}
		yield(batch)
	}
}

// TestTankTwoWeeks backtests below 1.0 against below 1.2 with a deadband
// of 0.1 and an on-delay of 30 s on two weeks of a tank's level stored in a
// real InfluxDB 1.8.10, and checks every figure of the report.
func TestTankTwoWeeks(t *testing.T) {
	in := testbed.StartInflux(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "site.yaml"), strings.ReplaceAll(tankSite, "%URL%", in.URL))
	write(t, filepath.Join(dir, "rules", "tank.yaml"), oldRules)
	write(t, filepath.Join(dir, "new", "tank.yaml"), newRules)
	write(t, filepath.Join(dir, "new", "tank_test.yaml"), "not: a rule file")

	s, err := site.Load(filepath.Join(dir, "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 0, 0, 0, 0, s.Location)
	recordPoints(t, in, tankHistory(t0))

	old, err := rules.ForSite(filepath.Join(dir, "site.yaml"), s)
	if err != nil {
		t.Fatal(err)
	}
	nw, err := backtest.NewRules(s, filepath.Join(dir, "new", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// A small page size makes the reader page many times, and across the
	// tie of the spike's extra reading.
	rd, err := history.New(history.Options{URL: s.Storage.Influx.URL, Bucket: s.Storage.Influx.Bucket, PageSize: 97})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := backtest.Run(context.Background(), rd, backtest.Options{Site: s, Old: old, New: nw, From: t0, To: t0.Add(14 * day)})
	if err != nil {
		t.Fatal(err)
	}

	wantPoints := 14*24*60 - 120 + 1 + 2 // minutes, less the gap, plus the spike's extra reading and two status points
	if rep.Points != wantPoints {
		t.Errorf("points replayed = %d, want %d", rep.Points, wantPoints)
	}
	if len(rep.Rows) != 1 {
		t.Fatalf("rows = %+v, want one (tank-low on tank-1)", rep.Rows)
	}
	m := time.Minute
	checkStats(t, "current", rep.Rows[0].Old, backtest.Stats{Raised: 8, InAlarm: d(39*m + 20*time.Second), Chattering: 1,
		Longest: d(20 * m), Median: d(m), Active: true})
	checkStats(t, "new", rep.Rows[0].New, backtest.Stats{Raised: 6, InAlarm: d(3*time.Hour + 5*m), Chattering: 0,
		Longest: d(2*time.Hour + 9*m + 30*time.Second), Median: d(12 * m), Active: true})

	at := func(off time.Duration) time.Time { return t0.Add(off) }
	checkAlarms(t, "appeared", rep.Appeared, []backtest.Alarm{
		{Rule: "tank-low", Device: "tank-1", Start: at(stretches[1].at + 30*time.Second), End: at(stretches[1].at + 15*m), Duration: d(14*m + 30*time.Second)},
		{Rule: "tank-low", Device: "tank-1", Start: at(stretches[3].at + 30*time.Second), End: at(gapTo), Duration: d(2*time.Hour + 9*m + 30*time.Second), AcrossGap: true},
	})
	checkAlarms(t, "disappeared", rep.Disappeared, []backtest.Alarm{
		{Rule: "tank-low", Device: "tank-1", Start: at(spike), End: at(spike + 20*time.Second), Duration: d(20 * time.Second)},
	})
	wantGaps := []backtest.Gap{{Device: "tank-1", From: at(gapFrom - m), To: at(gapTo)}}
	if !slices.EqualFunc(rep.Gaps, wantGaps, func(a, b backtest.Gap) bool { return a.Device == b.Device && a.From.Equal(b.From) && a.To.Equal(b.To) }) {
		t.Errorf("gaps = %+v, want %+v", rep.Gaps, wantGaps)
	}
	checkRendered(t, rep)
	printReport(rep)
}

func d(x time.Duration) backtest.Dur { return backtest.Dur(x) }

func checkStats(t *testing.T, set string, got, want backtest.Stats) {
	t.Helper()
	if got != want {
		t.Errorf("%s rules: stats\n got  %+v\n want %+v", set, got, want)
	}
}

func checkAlarms(t *testing.T, what string, got, want []backtest.Alarm) {
	t.Helper()
	same := func(a, b backtest.Alarm) bool {
		return a.Rule == b.Rule && a.Device == b.Device && a.Start.Equal(b.Start) && a.End.Equal(b.End) &&
			a.Duration == b.Duration && a.AcrossGap == b.AcrossGap
	}
	if !slices.EqualFunc(got, want, same) {
		t.Errorf("%s alarms:\n got  %+v\n want %+v", what, got, want)
	}
}

// checkRendered checks that the three renderings carry the findings.
func checkRendered(t *testing.T, rep *backtest.Report) {
	t.Helper()
	var tab, js, page bytes.Buffer
	if err := backtest.WriteTable(&tab, rep, backtest.Chinese); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tank-low", "8 → 6", "39m20s → 3h5m0s", "新增的报警 (2)", "消失的报警 (1)",
		"2026-11-05 10:00:30", "2026-11-07 14:00:00", "数据缺口 (1)", "2026-11-11 11:59:00"} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tab.String())
		}
	}
	if err := backtest.WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Appeared []struct {
			Start     string `json:"start"`
			AcrossGap bool   `json:"across_gap"`
		} `json:"appeared"`
		Rows []struct {
			New struct {
				InAlarm string `json:"in_alarm"`
			} `json:"new"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("json: %v\n%s", err, js.String())
	}
	if len(back.Appeared) != 2 || back.Appeared[0].Start != "2026-11-05T10:00:30+08:00" || !back.Appeared[1].AcrossGap ||
		back.Rows[0].New.InAlarm != "3h5m0s" {
		t.Errorf("json: %s", js.String())
	}
	if err := backtest.WriteHTML(&page, rep, backtest.Chinese); err != nil {
		t.Fatal(err)
	}
	h := page.String()
	if strings.Count(h, "<svg") != 1 || !strings.Contains(h, ">1.2</text>") || !strings.Contains(h, ">1.3</text>") ||
		!strings.Contains(h, ">1</text>") || !strings.Contains(h, "规则回测") {
		t.Errorf("html lacks the timeline, its thresholds or its labels:\n%s", h)
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// BACKTEST_PRINT=DIR writes the test's report as table and HTML into DIR,
// to look at.
func init() {
	if dir := os.Getenv("BACKTEST_PRINT"); dir != "" {
		printReport = func(r *backtest.Report) {
			var tab, page bytes.Buffer
			_ = backtest.WriteTable(&tab, r, backtest.Chinese)
			_ = backtest.WriteHTML(&page, r, backtest.Chinese)
			_ = os.WriteFile(filepath.Join(dir, "backtest.txt"), tab.Bytes(), 0o644)
			_ = os.WriteFile(filepath.Join(dir, "backtest.html"), page.Bytes(), 0o644)
		}
	}
}

var printReport = func(*backtest.Report) {}
