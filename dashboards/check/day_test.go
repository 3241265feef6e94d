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
	t      *testing.T
	site   *site.Site
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

// fillDay writes the day ending now into in and returns its range.
func fillDay(t *testing.T, in *testbed.Influx) Range {
	s, err := site.Load(demoSite)
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.ForSite(demoSite, s)
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-24 * time.Hour)
	d := &day{t: t, site: s, start: start, status: map[string]collectors.DeviceStatus{},
		world: sim.NewWorld(s, start), eng: engine.New(engine.Options{Rules: set})}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	d.openWriter(ctx, in)
	d.run(ctx, end)
	flush, cancelFlush := context.WithTimeout(ctx, 45*time.Second)
	defer cancelFlush()
	if err := d.writer.Close(flush); err != nil {
		t.Fatal(err)
	}
	t.Logf("simulated day %s … %s: %d points, %d alarm transitions (%d acks)",
		start.Format(time.RFC3339), end.Format(time.RFC3339), d.stats.points, d.stats.transitions, d.stats.acks)
	return Range{From: start, To: end}
}

func (d *day) openWriter(ctx context.Context, in *testbed.Influx) {
	reg := prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(d.t.TempDir(), "spool"), Registerer: reg, Logger: log})
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { sp.Close() })
	d.writer, err = influx.New(influx.Options{URL: in.URL, Bucket: in.Bucket(), Gzip: true, Spool: sp, Registerer: reg, Logger: log,
		Names: influx.NamesOf(d.site)})
	if err != nil {
		d.t.Fatal(err)
	}
	done := make(chan struct{})
	runCtx, stop := context.WithCancel(ctx)
	go func() {
		defer close(done)
		_ = d.writer.Run(runCtx)
	}()
	d.t.Cleanup(func() { stop(); <-done })
	d.out, err = influxout.New(influxout.Options{Sink: d.writer, Registerer: reg, Logger: log})
	if err != nil {
		d.t.Fatal(err)
	}
	d.kpi = lifecycle.NewKPI(lifecycle.KPIOptions{Clock: func() time.Time { return d.now }, Site: d.site.ID, Sink: d.writer,
		Registerer: reg, Logger: log})
}

// run steps the day in fastStep steps, publishing each step's points.
func (d *day) run(ctx context.Context, end time.Time) {
	next := 0
	for now := d.start; !now.After(end); now = now.Add(fastStep) {
		for next < len(scenarioAt) && !d.start.Add(scenarioAt[next].after).After(now) {
			if err := d.world.Trigger(scenarioAt[next].name); err != nil {
				d.t.Fatalf("scenario %s: %v", scenarioAt[next].name, err)
			}
			next++
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
