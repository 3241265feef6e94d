package report_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms"
	"facmon/alarms/journal"
	"facmon/alarms/lifecycle"
	"facmon/collectors"
	"facmon/collectors/influx"
	"facmon/collectors/spool"
	"facmon/deploy/testbed"
	"facmon/internal/site"
)

// testSite is the community of the tests: names in Chinese, Shanghai time.
const testSite = `site: t
name: 测试小区
timezone: Asia/Shanghai
areas:
  - {id: lv-room, name: 低压配电房}
  - {id: pump-room, name: 生活水泵房}
  - {id: north-wall, name: 北围墙}
  - {id: fire-room, name: 消防控制室}
devices:
  - {id: gen-1, name: 柴油发电机, kind: generator, area: lv-room, signals: [{name: running, type: state, states: {0: stopped, 1: running}}]}
  - {id: ats-1, name: 双电源切换开关, kind: transfer_switch, area: lv-room, signals: [{name: position, type: state, states: {0: mains, 1: generator, 2: open}}]}
  - {id: mains-1, name: 市电进线, kind: mains, area: lv-room, signals: [{name: present, type: state, states: {0: lost, 1: present}}]}
  - {id: tank-1, name: 1号生活水箱, kind: water_tank, area: pump-room, signals: [{name: level, type: analog, unit: m}]}
  - {id: meter-1, name: 公共照明电表, kind: power_meter, area: lv-room, signals: [{name: energy, type: counter, unit: kWh}]}
  - {id: wmeter-1, name: 消防水表, kind: water_meter, area: pump-room, signals: [{name: volume, type: counter, unit: m3}]}
  - {id: wall-1, name: 北围墙1防区探测器, kind: perimeter_zone, area: north-wall, signals: [{name: alarm, type: state, states: {0: normal, 1: alarm}}]}
  - {id: wall-2, name: 北围墙2防区探测器, kind: perimeter_zone, area: north-wall, signals: [{name: alarm, type: state, states: {0: normal, 1: alarm}}]}
  - {id: fire-panel-1, name: 火灾报警控制器, kind: fire_panel, area: fire-room, signals: [{name: fire, type: state, states: {0: normal, 1: fire}}]}
zones:
  - {id: zone-1, name: 北围墙1防区, kind: perimeter, area: north-wall, devices: [wall-1]}
  - {id: zone-2, name: 北围墙2防区, kind: perimeter, area: north-wall, devices: [wall-2]}
storage:
  influx: {url: %URL%, bucket: facmon/autogen}
`

// loc is the site's zone; day is the reported day, 2026-12-05 there.
var loc, _ = time.LoadLocation("Asia/Shanghai")

// at is a time of the reported day (or of day+n), in the site's zone.
func at(day, h, m, s int) time.Time { return time.Date(2026, 12, 5+day, h, m, s, 0, loc) }

func loadSite(t testing.TB, dir, url string) (*site.Site, string) {
	t.Helper()
	path := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(testSite, "%URL%", url)), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := site.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

// alarm is one alarm's life for the journal: raise, then ack and clear
// at the given times (zero: never).
type alarm struct {
	id, rule, device, area, system, msg string
	sev                                 alarms.Severity
	raise, ack, clear                   time.Time
}

// knownAlarms are the alarms of the tests; the expected figures are
// derived by hand in report_test.go.
var knownAlarms = []alarm{
	{"a1", "fire-alarm", "fire-panel-1", "fire-room", "fire", "火灾报警", alarms.Critical, at(0, 8, 0, 0), at(0, 8, 1, 0), at(0, 8, 30, 0)},
	{"a2", "mains-lost", "mains-1", "lv-room", "power", "市电进线失电", alarms.Major, at(0, 10, 0, 0), at(0, 10, 15, 0), at(0, 15, 0, 0)},
	{"a3", "tank-low", "tank-1", "pump-room", "domestic-water", "水位低", alarms.Minor, at(0, 12, 0, 0), time.Time{}, time.Time{}},
	{"a4", "wall-intrusion", "wall-1", "north-wall", "perimeter", "入侵报警", alarms.Warning, at(0, 20, 0, 0), time.Time{}, at(0, 20, 0, 5)},
	{"a5", "wall-intrusion", "wall-1", "north-wall", "perimeter", "入侵报警", alarms.Warning, at(0, 20, 0, 10), time.Time{}, at(0, 20, 0, 15)},
	{"a6", "wall-intrusion", "wall-1", "north-wall", "perimeter", "入侵报警", alarms.Warning, at(0, 20, 0, 20), time.Time{}, at(0, 20, 0, 25)},
	{"a7", "wall-intrusion", "wall-1", "north-wall", "perimeter", "入侵报警", alarms.Warning, at(0, 20, 0, 30), time.Time{}, at(0, 20, 0, 35)},
	{"a8", "wall-intrusion", "wall-1", "north-wall", "perimeter", "入侵报警", alarms.Warning, at(0, 20, 0, 40), time.Time{}, at(0, 20, 0, 45)},
	{"a9", "mains-lost", "mains-1", "lv-room", "power", "市电进线失电", alarms.Major, at(-1, 23, 0, 0), at(-1, 23, 5, 0), time.Time{}},
	{"a10", "fire-alarm", "fire-panel-1", "fire-room", "fire", "火灾报警", alarms.Critical, at(1, 1, 0, 0), time.Time{}, time.Time{}},
	{"a11", "fire-alarm", "fire-panel-1", "fire-room", "fire", "火灾报警", alarms.Critical, at(0, 23, 0, 0), time.Time{}, time.Time{}},
}

// zoneAction is one zone action for the journal.
type zoneAction struct {
	at                         time.Time
	typ                        journal.Type
	user, action, zone, reason string
}

var knownZones = []zoneAction{
	{at(0, 9, 0, 0), journal.TypeAction, "王工", "arm", "zone-1", ""},
	{at(0, 9, 5, 0), journal.TypeRefusedAction, "李明", "disarm", "zone-1", "密码错误"},
	{at(0, 9, 6, 0), journal.TypeAction, "李明", "disarm", "zone-1", "巡检"},
	{at(0, 21, 0, 0), journal.TypeAction, "王工", "bypass", "zone-2", "围栏维修"},
	{at(1, 2, 0, 0), journal.TypeAction, "王工", "arm", "zone-2", ""}, // the next day
}

// writeJournal journals the known alarms and zone actions, in time
// order, as the alarm service does (records whose payload is the
// transition; zone actions with a ZoneEvent).
func writeJournal(t testing.TB, dir string) {
	t.Helper()
	type ev struct {
		at  time.Time
		rec journal.Record
	}
	var evs []ev
	tr := func(a alarm, c alarms.Change, when time.Time, by string) {
		r, err := journal.FromTransition(alarms.Transition{ID: a.id, Rule: a.rule, Site: "t", Area: a.area, Device: a.device,
			Severity: a.sev, Message: a.msg, Labels: map[string]string{"system": a.system}, Change: c, Time: when,
			ActiveSince: a.raise, By: by})
		if err != nil {
			t.Fatal(err)
		}
		r.Time = when
		evs = append(evs, ev{when, r})
	}
	for _, a := range knownAlarms {
		tr(a, alarms.Raise, a.raise, "")
		if !a.ack.IsZero() {
			tr(a, alarms.Ack, a.ack, "值班员")
		}
		if !a.clear.IsZero() {
			tr(a, alarms.Clear, a.clear, "")
		}
	}
	for _, z := range knownZones {
		r, err := journal.NewRecord(z.typ, z.user, z.action, z.zone, z.reason, lifecycle.ZoneEvent{Zone: z.zone})
		if err != nil {
			t.Fatal(err)
		}
		r.Time = z.at
		evs = append(evs, ev{z.at, r})
	}
	slices.SortStableFunc(evs, func(a, b ev) int { return a.at.Compare(b.at) })
	j, err := journal.Open(journal.Options{Dir: dir, VerifyInterval: -1, SegmentRecords: 5, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, e := range evs {
		if _, err := j.Append(context.Background(), e.rec); err != nil {
			t.Fatal(err)
		}
	}
}

// point is one reading for InfluxDB.
func point(dev, kind, area, signal string, v float64, when time.Time) collectors.Point {
	return collectors.Point{Site: "t", Area: area, Kind: kind, Device: dev, Signal: signal, Value: v, Time: when, Quality: collectors.Good}
}

func status(dev, kind, area string, st collectors.DeviceStatus, when time.Time) collectors.Point {
	p := point(dev, kind, area, collectors.StatusSignal, float64(st), when)
	if st != collectors.Online {
		p.Quality = collectors.Bad
	}
	return p
}

// knownPoints are the readings of the tests.
func knownPoints() []collectors.Point {
	return []collectors.Point{
		// Status: tank-1 offline 03:00–03:45 and 13:00–13:10; wall-1 offline
		// from the evening before until 01:30; gen-1 faulty 14:00–14:20;
		// meter-1 online since days before. Other devices: no status.
		status("tank-1", "water_tank", "pump-room", collectors.Online, at(-3, 0, 0, 0)),
		status("tank-1", "water_tank", "pump-room", collectors.Offline, at(0, 3, 0, 0)),
		status("tank-1", "water_tank", "pump-room", collectors.Online, at(0, 3, 45, 0)),
		status("tank-1", "water_tank", "pump-room", collectors.Offline, at(0, 13, 0, 0)),
		status("tank-1", "water_tank", "pump-room", collectors.Online, at(0, 13, 10, 0)),
		status("wall-1", "perimeter_zone", "north-wall", collectors.Offline, at(-1, 22, 0, 0)),
		status("wall-1", "perimeter_zone", "north-wall", collectors.Online, at(0, 1, 30, 0)),
		status("gen-1", "generator", "lv-room", collectors.Online, at(-1, 12, 0, 0)),
		status("gen-1", "generator", "lv-room", collectors.Fault, at(0, 14, 0, 0)),
		status("gen-1", "generator", "lv-room", collectors.Online, at(0, 14, 20, 0)),
		status("meter-1", "power_meter", "lv-room", collectors.Online, at(-4, 0, 0, 0)),
		// Generator run: starts 10:00:20, load to it 10:00:35, back to the
		// mains 15:00:00, stops 15:03:00.
		point("gen-1", "generator", "lv-room", "running", 0, at(0, 9, 30, 0)),
		point("ats-1", "transfer_switch", "lv-room", "position", 0, at(0, 9, 30, 0)),
		point("gen-1", "generator", "lv-room", "running", 1, at(0, 10, 0, 20)),
		point("ats-1", "transfer_switch", "lv-room", "position", 1, at(0, 10, 0, 35)),
		point("gen-1", "generator", "lv-room", "running", 1, at(0, 12, 0, 0)),
		point("ats-1", "transfer_switch", "lv-room", "position", 0, at(0, 15, 0, 0)),
		point("gen-1", "generator", "lv-room", "running", 0, at(0, 15, 3, 0)),
		// Tank level: lowest 1.2 at 06:00, highest 3.8 at 12:00; the
		// readings outside the day are lower and higher.
		point("tank-1", "water_tank", "pump-room", "level", 0.5, at(-1, 23, 0, 0)),
		point("tank-1", "water_tank", "pump-room", "level", 2.5, at(0, 0, 0, 0)),
		point("tank-1", "water_tank", "pump-room", "level", 1.2, at(0, 6, 0, 0)),
		point("tank-1", "water_tank", "pump-room", "level", 3.8, at(0, 12, 0, 0)),
		point("tank-1", "water_tank", "pump-room", "level", 2.0, at(0, 18, 0, 0)),
		point("tank-1", "water_tank", "pump-room", "level", 5.0, at(1, 0, 0, 0)),
		// Energy: 250 kWh on the day, 190 the day before, 210 a week before
		// (a meter reset at noon, skipped).
		point("meter-1", "power_meter", "lv-room", "energy", 1000, at(0, 0, 0, 0)),
		point("meter-1", "power_meter", "lv-room", "energy", 1100, at(0, 12, 0, 0)),
		point("meter-1", "power_meter", "lv-room", "energy", 1250, at(0, 23, 59, 0)),
		point("meter-1", "power_meter", "lv-room", "energy", 800, at(-1, 0, 0, 0)),
		point("meter-1", "power_meter", "lv-room", "energy", 990, at(-1, 23, 59, 0)),
		point("meter-1", "power_meter", "lv-room", "energy", 100, at(-7, 0, 0, 0)),
		point("meter-1", "power_meter", "lv-room", "energy", 50, at(-7, 12, 0, 0)),
		point("meter-1", "power_meter", "lv-room", "energy", 260, at(-7, 23, 59, 0)),
		// Water: 5.5 m3 on the day; nothing the day before, one reading a
		// week before (no use known).
		point("wmeter-1", "water_meter", "pump-room", "volume", 10, at(0, 1, 0, 0)),
		point("wmeter-1", "water_meter", "pump-room", "volume", 15.5, at(0, 22, 0, 0)),
		point("wmeter-1", "water_meter", "pump-room", "volume", 3, at(-7, 5, 0, 0)),
	}
}

// recordPoints writes pts through facmon's own InfluxDB writer (the
// schema collectors/influx writes) into the test InfluxDB.
func recordPoints(t testing.TB, in *testbed.Influx, pts []collectors.Point) {
	t.Helper()
	reg := prometheus.NewRegistry()
	sp, err := spool.Open(spool.Options{Dir: t.TempDir(), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	w, err := influx.New(influx.Options{URL: in.URL, Bucket: in.Bucket(), Spool: sp, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	if err := w.Publish(ctx, pts); err != nil {
		t.Fatal(err)
	}
	cctx, ccancel := context.WithTimeout(ctx, 2*time.Minute)
	defer ccancel()
	if err := w.Close(cctx); err != nil {
		t.Fatalf("draining the writer: %v\n%s", err, in.Log())
	}
	cancel()
	<-done
}
