package report_test

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"facmon/alarms/backtest/history"
	"facmon/alarms/report"
	"facmon/deploy/testbed"
)

// built is the report of the known data: the journal of knownAlarms and
// knownZones and knownPoints in a real InfluxDB 1.8.10, made at 07:00 the
// next morning.
type built struct {
	rep     *report.Report
	dataDir string
	site    string
	influx  *testbed.Influx
}

func buildKnown(t *testing.T, lang string) *built {
	t.Helper()
	return buildKnownPeriod(t, lang, report.Day, "2026-12-05")
}

func buildKnownPeriod(t *testing.T, lang string, period func(string, *time.Location) (report.Period, error), date string) *built {
	t.Helper()
	in := testbed.StartInflux(t)
	dir := t.TempDir()
	s, path := loadSite(t, dir, in.URL)
	writeJournal(t, filepath.Join(dir, "journal"))
	recordPoints(t, in, knownPoints())
	// A small page makes the reader page.
	h, err := history.New(history.Options{URL: in.URL, Bucket: in.Bucket(), PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	p, err := period(date, s.Location)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.Build(context.Background(), report.Options{Site: s, JournalDir: filepath.Join(dir, "journal"),
		History: h, Lang: lang, Now: func() time.Time { return at(1, 7, 0, 0) }}, p)
	if err != nil {
		t.Fatal(err)
	}
	return &built{rep: rep, dataDir: dir, site: path, influx: in}
}

func TestDayReportFigures(t *testing.T) {
	b := buildKnown(t, "")
	r := b.rep
	m := time.Minute
	if !r.Period.Start.Equal(at(0, 0, 0, 0)) || !r.Period.End.Equal(at(1, 0, 0, 0)) || !r.Until.Equal(r.Period.End) {
		t.Errorf("period %v–%v until %v, want the day in Shanghai", r.Period.Start, r.Period.End, r.Until)
	}
	if r.Raised != 9 || r.BySeverity != [4]int{2, 1, 1, 5} {
		t.Errorf("raised %d by severity %v, want 9 [2 1 1 5]", r.Raised, r.BySeverity)
	}
	wantSys := []report.SystemCount{{System: "perimeter", Total: 5, BySeverity: [4]int{0, 0, 0, 5}},
		{System: "fire", Total: 2, BySeverity: [4]int{2, 0, 0, 0}},
		{System: "domestic-water", Total: 1, BySeverity: [4]int{0, 0, 1, 0}},
		{System: "power", Total: 1, BySeverity: [4]int{0, 1, 0, 0}}}
	if !reflect.DeepEqual(r.Systems, wantSys) {
		t.Errorf("systems\n got  %+v\n want %+v", r.Systems, wantSys)
	}
	wantRules := []report.RuleCount{{Rule: "wall-intrusion", Message: "入侵报警", Count: 5, Devices: 1},
		{Rule: "fire-alarm", Message: "火灾报警", Count: 2, Devices: 1},
		{Rule: "mains-lost", Message: "市电进线失电", Count: 1, Devices: 1},
		{Rule: "tank-low", Message: "水位低", Count: 1, Devices: 1}}
	if !reflect.DeepEqual(r.Noisiest, wantRules) {
		t.Errorf("noisiest\n got  %+v\n want %+v", r.Noisiest, wantRules)
	}
	var standing []string
	for _, o := range r.Standing {
		standing = append(standing, o.ID)
	}
	if !reflect.DeepEqual(standing, []string{"a9", "a3", "a11"}) {
		t.Errorf("standing %v, want [a9 a3 a11]", standing)
	}
	if want := []report.Chatter{{Rule: "wall-intrusion", Device: "wall-1", Count: 5, Burst: 5}}; !reflect.DeepEqual(r.Chattering, want) {
		t.Errorf("chattering %+v, want %+v", r.Chattering, want)
	}
	wantAck := [4]report.Timing{
		{Deadline: 2 * m, Done: 1, Open: 1, Median: m, Max: m, Missed: 1},
		{Deadline: 10 * m, Done: 1, Median: 15 * m, Max: 15 * m, Missed: 1},
		{Open: 1},
		{Open: 5},
	}
	if r.Ack != wantAck {
		t.Errorf("ack timing\n got  %+v\n want %+v", r.Ack, wantAck)
	}
	wantRes := [4]report.Timing{
		{Deadline: time.Hour, Done: 1, Open: 1, Median: 30 * m, Max: 30 * m, Missed: 1},
		{Deadline: 4 * time.Hour, Done: 1, Median: 5 * time.Hour, Max: 5 * time.Hour, Missed: 1},
		{Deadline: 24 * time.Hour, Open: 1},
		{Deadline: 72 * time.Hour, Done: 5, Median: 5 * time.Second, Max: 5 * time.Second},
	}
	if r.Resolve != wantRes {
		t.Errorf("resolve timing\n got  %+v\n want %+v", r.Resolve, wantRes)
	}
	type miss struct {
		id, what string
		dl, took time.Duration
		open     bool
	}
	var misses []miss
	for _, x := range r.Missed {
		misses = append(misses, miss{x.ID, x.What, x.Deadline, x.Took, x.Open})
	}
	wantMiss := []miss{{"a2", "ack", 10 * m, 15 * m, false}, {"a2", "resolve", 4 * time.Hour, 5 * time.Hour, false},
		{"a11", "ack", 2 * m, 0, true}, {"a11", "resolve", time.Hour, 0, true}}
	if !reflect.DeepEqual(misses, wantMiss) {
		t.Errorf("missed\n got  %+v\n want %+v", misses, wantMiss)
	}
	wantZones := []report.ZoneEntry{
		{Time: at(0, 9, 0, 0), Zone: "zone-1", Action: "arm", User: "王工"},
		{Time: at(0, 9, 5, 0), Zone: "zone-1", Action: "disarm", User: "李明", Reason: "密码错误", Refused: true},
		{Time: at(0, 9, 6, 0), Zone: "zone-1", Action: "disarm", User: "李明", Reason: "巡检"},
		{Time: at(0, 21, 0, 0), Zone: "zone-2", Action: "bypass", User: "王工", Reason: "围栏维修"},
	}
	if len(r.Zones) != len(wantZones) {
		t.Fatalf("zone log %+v, want %+v", r.Zones, wantZones)
	}
	for i := range wantZones {
		g, w := r.Zones[i], wantZones[i]
		if !g.Time.Equal(w.Time) || g.Zone != w.Zone || g.Action != w.Action || g.User != w.User || g.Reason != w.Reason || g.Refused != w.Refused {
			t.Errorf("zone log #%d: %+v, want %+v", i, g, w)
		}
	}
	checkReadings(t, r.Readings)
	if got, want := r.Summary(), "测试小区 运行日报（2026-12-05）：新增告警9条（紧急2条），未恢复3条，超时4项，离线设备2台。"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func checkReadings(t *testing.T, rd *report.Readings) {
	t.Helper()
	if rd == nil {
		t.Fatal("no readings")
	}
	m := time.Minute
	wantAv := []report.Availability{
		{Device: "gen-1", Known: true, Fault: 20 * m},
		{Device: "ats-1"},
		{Device: "mains-1"},
		{Device: "tank-1", Known: true, Offline: 55 * m, Outages: 2},
		{Device: "meter-1", Known: true},
		{Device: "wmeter-1"},
		{Device: "wall-1", Known: true, Offline: 90 * m},
		{Device: "wall-2"},
		{Device: "fire-panel-1"},
	}
	if !reflect.DeepEqual(rd.Devices, wantAv) {
		t.Errorf("availability\n got  %+v\n want %+v", rd.Devices, wantAv)
	}
	if len(rd.Generators) != 1 {
		t.Fatalf("generator runs %+v, want one", rd.Generators)
	}
	g := rd.Generators[0]
	if g.Generator != "gen-1" || !g.Start.Equal(at(0, 10, 0, 20)) || !g.Transfer.Equal(at(0, 10, 0, 35)) ||
		!g.Back.Equal(at(0, 15, 0, 0)) || !g.Stop.Equal(at(0, 15, 3, 0)) {
		t.Errorf("generator run %+v", g)
	}
	if g.TransferDelay() != 15*time.Second || g.RunOn() != 3*m || g.Duration() != 5*time.Hour+2*m+40*time.Second {
		t.Errorf("generator run: transfer after %v, run-on %v, ran %v; want 15s, 3m, 5h2m40s", g.TransferDelay(), g.RunOn(), g.Duration())
	}
	if len(rd.Tanks) != 1 {
		t.Fatalf("tanks %+v, want one", rd.Tanks)
	}
	tk := rd.Tanks[0]
	if tk.Device != "tank-1" || tk.N != 4 || tk.Min != 1.2 || tk.Max != 3.8 || !tk.MinAt.Equal(at(0, 6, 0, 0)) || !tk.MaxAt.Equal(at(0, 12, 0, 0)) || tk.Unit != "m" {
		t.Errorf("tank %+v, want 4 readings, min 1.2 at 06:00, max 3.8 at 12:00", tk)
	}
	wantMeters := []report.MeterUse{
		{Device: "meter-1", Kind: "power_meter", Signal: "energy", Unit: "kWh",
			Use: report.Use{Value: 250, OK: true}, Previous: report.Use{Value: 190, OK: true}, WeekBefore: report.Use{Value: 210, OK: true}},
		{Device: "wmeter-1", Kind: "water_meter", Signal: "volume", Unit: "m3", Use: report.Use{Value: 5.5, OK: true}},
	}
	if !reflect.DeepEqual(rd.Meters, wantMeters) {
		t.Errorf("meters\n got  %+v\n want %+v", rd.Meters, wantMeters)
	}
}

// The page shows names as the site file writes them, times in the site's
// zone, and every figure; English on request.
func TestDayReportPage(t *testing.T) {
	b := buildKnown(t, "")
	var out bytes.Buffer
	if err := b.rep.HTML(&out); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	for _, want := range []string{
		"测试小区 运行日报 2026-12-05", "1号生活水箱", "北围墙1防区探测器", "北围墙1防区", "撤防（被拒绝）", "围栏维修",
		"12-05 10:00:20", "12-05 10:00:35", "12-05 15:03:00", "5小时2分", "3分", "周界防范", "消防报警",
		`<td class="n">250.00</td><td class="n">190.00</td><td class="n">210.00</td>`, "5.50", "尚未完成",
		`<td class="n">55</td>`, `<td class="n">90</td>`, `<td class="n">20</td>`, "其余1台设备全程在线", "<svg class=\"chart\"",
		"@media print",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, id := range []string{">tank-1<", ">wall-1<", ">zone-1<", ">gen-1<"} {
		if strings.Contains(page, id) {
			t.Errorf("page shows the id %s where the site file has a name", id)
		}
	}
	r := *b.rep
	r.Lang = "en"
	out.Reset()
	if err := r.HTML(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"测试小区 Daily report 2026-12-05", "disarm (refused)", "Missed deadlines", "1号生活水箱"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	if got, want := r.Summary(), "测试小区 Daily report (2026-12-05): 9 alarms raised (2 critical), 3 standing, 4 deadlines missed, 2 devices offline."; got != want {
		t.Errorf("English summary %q, want %q", got, want)
	}
}

// The week (Monday 11-30 to Sunday 12-06) holding 12-05, made on Sunday
// morning: reported up to then, its meters against the week before.
func TestWeekReportFigures(t *testing.T) {
	r := buildKnownPeriod(t, "", report.Week, "2026-12-05").rep
	m := time.Minute
	if !r.Period.Start.Equal(at(-5, 0, 0, 0)) || !r.Period.End.Equal(at(2, 0, 0, 0)) || !r.Until.Equal(at(1, 7, 0, 0)) {
		t.Errorf("period %v–%v until %v", r.Period.Start, r.Period.End, r.Until)
	}
	if r.Raised != 11 || r.BySeverity != [4]int{3, 2, 1, 5} || len(r.Standing) != 4 || len(r.Missed) != 7 || len(r.Zones) != 5 {
		t.Errorf("raised %d %v, standing %d, missed %d, zone log %d; want 11 [3 2 1 5], 4, 7, 5",
			r.Raised, r.BySeverity, len(r.Standing), len(r.Missed), len(r.Zones))
	}
	if r.Missed[0].ID != "a9" || r.Missed[0].What != "resolve" || !r.Missed[0].Open {
		t.Errorf("first miss %+v, want a9's resolve, open", r.Missed[0])
	}
	rd := r.Readings
	wall := rd.Devices[6]
	if wall.Device != "wall-1" || wall.Offline != 210*m || wall.Outages != 1 {
		t.Errorf("wall-1 %+v, want 210 min offline, 1 outage", wall)
	}
	if tk := rd.Tanks[0]; tk.N != 6 || tk.Min != 0.5 || !tk.MinAt.Equal(at(-1, 23, 0, 0)) || tk.Max != 5.0 || !tk.MaxAt.Equal(at(1, 0, 0, 0)) {
		t.Errorf("tank %+v, want 6 readings, 0.5 at 12-04 23:00, 5.0 at 12-06 00:00", tk)
	}
	wantMeters := []report.MeterUse{
		{Device: "meter-1", Kind: "power_meter", Signal: "energy", Unit: "kWh", Use: report.Use{Value: 450, OK: true}, Previous: report.Use{Value: 210, OK: true}},
		{Device: "wmeter-1", Kind: "water_meter", Signal: "volume", Unit: "m3", Use: report.Use{Value: 5.5, OK: true}},
	}
	if !reflect.DeepEqual(rd.Meters, wantMeters) {
		t.Errorf("meters\n got  %+v\n want %+v", rd.Meters, wantMeters)
	}
	if got, want := r.Summary(), "测试小区 运行周报（2026-11-30 — 2026-12-06）：新增告警11条（紧急3条），未恢复4条，超时7项，离线设备2台。"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}
