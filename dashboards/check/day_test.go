package check

import (
	"context"
	"hash/fnv"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/centre"
	"facmon/alarms/engine"
	"facmon/alarms/influxout"
	"facmon/alarms/lifecycle"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/collectors/influx"
	"facmon/collectors/sim"
	"facmon/collectors/spool"
	"facmon/deploy/testbed"
	"facmon/internal/site"
)

// demoSite is the demo community the simulated day runs.
const demoSite = "../../seeds/sites/demo.yaml"

// Group is the simulated day's group centre: the demo community and a
// second one built from the same site file under another id (generated
// sites share device ids, as here), its scenarios an hour later, its
// heartbeat silent for an hour — each writing its own points as a site
// does, the centre writing site_status for both.
var group = []struct {
	id, name string
	shift    time.Duration // scenarios this much later
	silent   [2]time.Duration
}{
	{"", "示范小区", 0, [2]time.Duration{}},
	{"demo-west", "西区示范小区", time.Hour, [2]time.Duration{6 * time.Hour, 7 * time.Hour}},
}

// Sampling of the simulated day: the power devices (mains, generator,
// transfer switch) every 10 s so the 3-minute run-on is resolved, the
// rest every minute.
const (
	fastStep = 10 * time.Second
	slowStep = time.Minute
)

// scenarioAt are the simulator's scenarios through the day, as offsets
// from its start ("normal" ends every scenario running).
var scenarioAt = []struct {
	after time.Duration
	name  string
}{
	{2 * time.Hour, sim.MainsOutage},
	{5 * time.Hour, sim.TankDrain},
	{9 * time.Hour, sim.Intrusion},
	{10 * time.Hour, sim.FireAlarm},
	{10*time.Hour + 20*time.Minute, sim.Normal},
	{11 * time.Hour, sim.Unplug},
	{12 * time.Hour, sim.Normal},
	{13 * time.Hour, sim.BinFill},
	{14 * time.Hour, sim.Flood},
	{14*time.Hour + 30*time.Minute, sim.Normal},
	{16 * time.Hour, sim.BinFill},
	{17 * time.Hour, sim.Normal},
	{18 * time.Hour, sim.MainsOutage},
}

// override holds a signal of the first device of a kind at a value for a
// while: events the simulator has no scenario for (a fire-panel fault, a
// door held open, an elevator fault, a hot room, a home alarm).
type override struct {
	kind, signal string
	from, to     time.Duration
	value        float64
}

var overrides = []override{
	{"fire_panel", "fault", 15 * time.Hour, 15*time.Hour + 20*time.Minute, 1},
	{"door", "open", 7 * time.Hour, 7*time.Hour + 30*time.Minute, 1},
	{"elevator", "fault", 20 * time.Hour, 20*time.Hour + 40*time.Minute, 1},
	{"room", "temperature", 19 * time.Hour, 19*time.Hour + 30*time.Minute, 41},
	{"home_alarm", "alarm", 22 * time.Hour, 22*time.Hour + 3*time.Minute, 1},
}

// day is a simulated day of the demo community on its way to InfluxDB:
// the simulator's world stepped on a fake clock, its values turned into
// points as the collectors would make them, the real alarm engine on
// those points, operators acknowledging, and everything written through
// the real spooled writer and alarm output.
type day struct {
	t     *testing.T
	site  *site.Site
	shift time.Duration
	// board is the site's alarms as the centre holds them.
	board  *board.Board
	world  *sim.World
	eng    *engine.Engine
	writer *influx.Writer
	out    *influxout.Output
	kpi    *lifecycle.KPI
	now    time.Time
	start  time.Time
	status map[string]collectors.DeviceStatus
	acks   []pendingAck
	stats  dayStats
}

type pendingAck struct {
	id string
	at time.Time
}

type dayStats struct{ points, transitions, acks int }

// fillDay writes the day ending now into in, for every site of the
// group, and returns its range.
func fillDay(t *testing.T, in *testbed.Influx) Range {
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-24 * time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var days []*day
	var writer *influx.Writer
	for _, g := range group {
		s, err := site.Load(demoSite)
		if err != nil {
			t.Fatal(err)
		}
		if g.id != "" {
			s.ID = g.id
		}
		set, err := rules.ForSite(demoSite, s)
		if err != nil {
			t.Fatal(err)
		}
		d := &day{t: t, site: s, shift: g.shift, start: start, status: map[string]collectors.DeviceStatus{},
			world: sim.NewWorld(s, start), eng: engine.New(engine.Options{Rules: set}), board: board.New(board.Options{})}
		if writer == nil {
			writer = d.openWriter(ctx, in)
		}
		d.attach(writer)
		days = append(days, d)
	}
	c := &centreView{days: days, writer: writer, written: map[string]centre.SiteView{}}
	next := make([]int, len(days))
	for now := start; !now.After(end); now = now.Add(fastStep) {
		for i, d := range days {
			d.step(ctx, now, &next[i])
		}
		c.write(ctx, now)
	}
	flush, cancelFlush := context.WithTimeout(ctx, 45*time.Second)
	defer cancelFlush()
	if err := writer.Close(flush); err != nil {
		t.Fatal(err)
	}
	for _, d := range days {
		t.Logf("simulated day of %s %s … %s: %d points, %d alarm transitions (%d acks)", d.site.ID,
			start.Format(time.RFC3339), end.Format(time.RFC3339), d.stats.points, d.stats.transitions, d.stats.acks)
	}
	t.Logf("the centre wrote %d site_status points", c.points)
	return Range{From: start, To: end}
}

// openWriter starts the spooled writer the group's points go through, as
// each site's and the centre's do (one here: they meet in one InfluxDB).
func (d *day) openWriter(ctx context.Context, in *testbed.Influx) *influx.Writer {
	reg := prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(d.t.TempDir(), "spool"), Registerer: reg, Logger: log})
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { sp.Close() })
	w, err := influx.New(influx.Options{URL: in.URL, Bucket: in.Bucket(), Gzip: true, Spool: sp, Registerer: reg, Logger: log,
		Names: influx.NamesOf(d.site)})
	if err != nil {
		d.t.Fatal(err)
	}
	done := make(chan struct{})
	runCtx, stop := context.WithCancel(ctx)
	go func() {
		defer close(done)
		_ = w.Run(runCtx)
	}()
	d.t.Cleanup(func() { stop(); <-done })
	return w
}

// attach gives the day its alarm output and KPI writer on w.
func (d *day) attach(w *influx.Writer) {
	reg := prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	var err error
	d.writer = w
	d.out, err = influxout.New(influxout.Options{Sink: d.writer, Registerer: reg, Logger: log})
	if err != nil {
		d.t.Fatal(err)
	}
	d.kpi = lifecycle.NewKPI(lifecycle.KPIOptions{Clock: func() time.Time { return d.now }, Site: d.site.ID, Sink: d.writer,
		Registerer: reg, Logger: log})
}

// step runs the site's fastStep at now, publishing its points; next is
// the index of its next scenario.
func (d *day) step(ctx context.Context, now time.Time, next *int) {
	for *next < len(scenarioAt) && !d.start.Add(d.shift+scenarioAt[*next].after).After(now) {
		if err := d.world.Trigger(scenarioAt[*next].name); err != nil {
			d.t.Fatalf("scenario %s: %v", scenarioAt[*next].name, err)
		}
		*next++
	}
	d.now = now
	d.world.Step(now)
	pts := d.points(now)
	if err := d.writer.Publish(ctx, pts); err != nil {
		d.t.Fatal(err)
	}
	d.stats.points += len(pts)
	d.alarms(ctx, now, d.eng.Process(pts))
	d.alarms(ctx, now, d.eng.Advance(now))
	d.acknowledge(ctx, now)
	if now.Sub(d.start)%time.Minute == 0 {
		if err := d.kpi.Write(ctx, now); err != nil {
			d.t.Fatal(err)
		}
	}
}

// centreView writes site_status for the group's sites as facmon centre
// does (centre.SiteView, its Count and Line): a site's point when its
// view changed, every site's every minute, through the spooled writer.
// Its board takes each site's transitions as the centre's does; the
// heartbeat is silent over the site's silent hours.
type centreView struct {
	days    []*day
	writer  *influx.Writer
	written map[string]centre.SiteView
	points  int
}

func (c *centreView) write(ctx context.Context, now time.Time) {
	all := now.Sub(c.days[0].start)%time.Minute == 0
	var lines [][]byte
	for i, d := range c.days {
		off := now.Sub(d.start)
		v := centre.SiteView{Online: !(off >= group[i].silent[0] && off < group[i].silent[1])}
		for _, st := range d.status {
			v.Devices++
			switch st {
			case collectors.Offline:
				v.DevicesOffline++
			case collectors.Fault:
				v.DevicesFault++
			}
		}
		for _, a := range d.board.Alarms(board.ListFilter{}) {
			v.Count(&a)
		}
		if w, ok := c.written[d.site.ID]; ok && w == v && !all {
			continue
		}
		c.written[d.site.ID] = v
		lines = append(lines, v.Line(&centre.Site{ID: d.site.ID, Name: group[i].name, Group: "华东区"}, now))
	}
	if len(lines) == 0 {
		return
	}
	if err := c.writer.PublishLines(ctx, lines); err != nil {
		c.days[0].t.Fatal(err)
	}
	c.points += len(lines)
}

// points are the readings due at now, and a status point whenever a
// device goes online or offline.
func (d *day) points(now time.Time) []collectors.Point {
	var pts []collectors.Point
	slowDue := now.Sub(d.start)%slowStep == 0
	for i := range d.site.Devices {
		dev := &d.site.Devices[i]
		pts = d.statusPoint(pts, dev, now)
		if d.world.Unplugged(dev.ID) || !(slowDue || isPower(dev.Kind)) {
			continue
		}
		for _, sg := range dev.Signals {
			v, _ := d.world.Value(dev.ID, sg.Name)
			v = d.override(dev, sg.Name, now, v)
			pts = append(pts, collectors.Point{Site: d.site.ID, Area: dev.Area, Kind: dev.Kind, Device: dev.ID,
				Signal: sg.Name, Value: v, Bool: isBoolRegister(sg.Modbus), Quality: collectors.Good, Time: now})
		}
	}
	return pts
}

// statusPoint adds the device's status when it changed, as the
// collectors report it.
func (d *day) statusPoint(pts []collectors.Point, dev *site.Device, now time.Time) []collectors.Point {
	st := collectors.Online
	if d.world.Unplugged(dev.ID) {
		st = collectors.Offline
	}
	if old, ok := d.status[dev.ID]; ok && old == st {
		return pts
	}
	d.status[dev.ID] = st
	return append(pts, collectors.Point{Site: d.site.ID, Area: dev.Area, Kind: dev.Kind, Device: dev.ID,
		Signal: collectors.StatusSignal, Value: float64(st), Quality: collectors.Good, Time: now})
}

func (d *day) override(dev *site.Device, signal string, now time.Time, v float64) float64 {
	off := now.Sub(d.start)
	for _, o := range overrides {
		if o.kind == dev.Kind && o.signal == signal && off >= o.from && off < o.to && d.firstOf(dev.Kind) == dev.ID {
			return o.value
		}
	}
	return v
}

// firstOf is the id of the site's first device of a kind.
func (d *day) firstOf(kind string) string {
	for i := range d.site.Devices {
		if d.site.Devices[i].Kind == kind {
			return d.site.Devices[i].ID
		}
	}
	return ""
}

// alarms writes transitions and schedules an operator's acknowledgement
// of each raise, 20 s to about 10 minutes later.
func (d *day) alarms(ctx context.Context, now time.Time, ts []alarms.Transition) {
	if len(ts) == 0 {
		return
	}
	if err := d.out.Transitions(ctx, ts); err != nil {
		d.t.Fatal(err)
	}
	_ = d.board.Transitions(ctx, ts) // on to the centre
	_ = d.kpi.Transitions(ctx, ts)
	d.stats.transitions += len(ts)
	for _, tr := range ts {
		if tr.Change == alarms.Raise {
			h := fnv.New32a()
			h.Write([]byte(tr.ID))
			d.acks = append(d.acks, pendingAck{id: tr.ID, at: now.Add(20*time.Second + time.Duration(h.Sum32()%600)*time.Second)})
		}
	}
}

func (d *day) acknowledge(ctx context.Context, now time.Time) {
	kept := d.acks[:0]
	for _, a := range d.acks {
		if a.at.After(now) {
			kept = append(kept, a)
			continue
		}
		if tr, ok := d.eng.Ack(a.id, "值班员", now); ok {
			d.stats.acks++
			d.alarms(ctx, now, []alarms.Transition{tr})
		}
	}
	d.acks = kept
}

// isPower reports the kinds sampled every fastStep.
func isPower(kind string) bool {
	return kind == "mains" || kind == "generator" || kind == "transfer_switch"
}

// isBoolRegister reports whether the Modbus collector reads the signal
// as a boolean (coils, discrete inputs, bits of registers): those are
// boolean fields in InfluxDB, everything else floats.
func isBoolRegister(r *site.Register) bool {
	return r != nil && (r.IsBitTable() || r.Type == "bool")
}
