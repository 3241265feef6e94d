package backtest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"facmon/alarms/backtest"
	"facmon/alarms/backtest/history"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/collectors/sim"
	"facmon/deploy/testbed"
	"facmon/internal/site"
)

const demoSite = "../../seeds/sites/demo.yaml"

// demoMonth is the recorded month of the benchmark: November 2026, one
// reading of every signal of every demo device a minute, from the
// simulator's physics on its own clock, with a scenario every day.
var demoMonth = struct {
	from  func(*time.Location) time.Time
	days  int
	every time.Duration
}{func(l *time.Location) time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, l) }, 30, time.Minute}

// BenchmarkDemoMonth backtests the demo community's rule pack against a
// changed pack (bin bound and perimeter on-delay moved) over a whole month of simulated
// history in a real InfluxDB 1.8.10. The backtest runs in a child process
// so that its peak RSS (VmHWM) is its own; the metrics are its wall time
// and peak RSS. Recording the month (not timed) takes a few minutes.
func BenchmarkDemoMonth(b *testing.B) {
	in := testbed.StartInflux(b)
	s, err := site.Load(demoSite)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	n := recordPoints(b, in, simulatedHistory(s))
	b.Logf("recorded %d points in %s", n, time.Since(t0).Round(time.Second))
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDemoMonthChild$", "-test.bench=^$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "FACMON_BACKTEST_URL="+in.URL, "FACMON_BACKTEST_BUCKET="+in.Bucket())
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		_, after, ok := strings.Cut(string(out), "BACKTEST ")
		f := strings.Fields(after)
		if !ok || len(f) < 6 {
			b.Fatalf("child output: %s", out)
		}
		wall, _ := strconv.ParseFloat(f[1], 64)
		kb, _ := strconv.ParseFloat(f[3], 64)
		pts, _ := strconv.ParseFloat(f[5], 64)
		b.ReportMetric(wall, "wall_s")
		b.ReportMetric(kb/1024, "peak_rss_MB")
		b.ReportMetric(pts/wall, "points/s")
		b.Logf("child: %s", strings.TrimSpace(after))
	}
}

// TestDemoMonthChild is BenchmarkDemoMonth's child; it does nothing
// otherwise.
func TestDemoMonthChild(t *testing.T) {
	url := os.Getenv("FACMON_BACKTEST_URL")
	if url == "" {
		t.Skip("child of BenchmarkDemoMonth only")
	}
	start := time.Now()
	s, err := site.Load(demoSite)
	if err != nil {
		t.Fatal(err)
	}
	old, err := rules.ForSite(demoSite, s)
	if err != nil {
		t.Fatal(err)
	}
	nw := changedPack(t, s)
	rd, err := history.New(history.Options{URL: url, Bucket: os.Getenv("FACMON_BACKTEST_BUCKET")})
	if err != nil {
		t.Fatal(err)
	}
	from := demoMonth.from(s.Location)
	rep, err := backtest.Run(context.Background(), rd, backtest.Options{Site: s, Old: old, New: nw, From: from, To: from.AddDate(0, 0, demoMonth.days)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Points == 0 || len(rep.Rows) == 0 {
		t.Fatalf("nothing replayed: %d points, %d rows", rep.Points, len(rep.Rows))
	}
	wall := time.Since(start).Seconds()
	fmt.Printf("BACKTEST wall_s %.2f vmhwm_kb %d points %d rows %d appeared %d disappeared %d gaps %d\n",
		wall, peakRSS(t), rep.Points, len(rep.Rows), len(rep.Appeared), len(rep.Disappeared), len(rep.Gaps))
	if path := os.Getenv("FACMON_BACKTEST_TABLE"); path != "" { // where to write the report, to read it
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := backtest.WriteTable(f, rep, backtest.English); err != nil {
			t.Fatal(err)
		}
	}
}

// simulatedHistory steps the simulator's world through the month and
// yields every signal of every device each minute, an hour per batch; an
// unplugged device records an offline status and no values, as the
// collector would.
func simulatedHistory(s *site.Site) func(func([]collectors.Point) bool) {
	return func(yield func([]collectors.Point) bool) {
		from := demoMonth.from(s.Location)
		w := sim.NewWorld(s, from)
		scenarios := []string{sim.TankDrain, sim.MainsOutage, sim.Intrusion, sim.Flood, sim.BinFill, sim.Unplug, sim.FireAlarm, sim.Normal}
		offline := map[string]bool{}
		var batch []collectors.Point
		end := from.AddDate(0, 0, demoMonth.days)
		for at := from; at.Before(end); at = at.Add(demoMonth.every) {
			if at.Sub(from)%(24*time.Hour) == 10*time.Hour {
				day := int(at.Sub(from) / (24 * time.Hour))
				_ = w.Trigger(scenarios[day%len(scenarios)])
			}
			w.Step(at)
			for i := range s.Devices {
				batch = appendDevice(batch, s, &s.Devices[i], w, at, offline)
			}
			if at.Minute() == 59 {
				if !yield(batch) {
					return
				}
				batch = batch[:0]
			}
		}
		yield(batch)
	}
}

// appendDevice appends one reading of a device (or its status change).
func appendDevice(batch []collectors.Point, s *site.Site, d *site.Device, w *sim.World, at time.Time, offline map[string]bool) []collectors.Point {
	p := collectors.Point{Site: s.ID, Area: d.Area, Kind: d.Kind, Device: d.ID, Time: at}
	if off := w.Unplugged(d.ID); off != offline[d.ID] {
		offline[d.ID] = off
		st := p
		st.Signal, st.Value = collectors.StatusSignal, float64(collectors.Online)
		if off {
			st.Value, st.Quality = float64(collectors.Offline), collectors.Bad
		}
		batch = append(batch, st)
	}
	if offline[d.ID] {
		return batch
	}
	for _, sg := range d.Signals {
		v, _ := w.Value(d.ID, sg.Name)
		q := p
		q.Signal, q.Value, q.Bool = sg.Name, v, sg.Type == site.State && (v == 0 || v == 1)
		batch = append(batch, q)
	}
	return batch
}

// changedPack is the seed pack with two rules tuned: bins alarm at 80 %
// instead of two thirds (deadband 5), perimeter zones only after 90 s in
// alarm.
func changedPack(t *testing.T, s *site.Site) *rules.Set {
	paths, err := rules.Expand(demoSite, s.Rules)
	if err != nil {
		t.Fatal(err)
	}
	files, err := rules.Load(paths...)
	if err != nil {
		t.Fatal(err)
	}
	tuned := 0
	for _, f := range files {
		for i := range f.Rules {
			r := &f.Rules[i]
			switch {
			case r.Name == "bin-two-thirds-full" && r.Threshold != nil:
				above := 80.0
				r.Threshold.Above, r.Threshold.Deadband = &above, 5
				tuned++
			case r.Name == "perimeter-zone-alarm" && r.State != nil:
				r.State.OnDelay = rules.Duration(90 * time.Second)
				tuned++
			}
		}
	}
	if tuned != 2 {
		t.Fatalf("tuned %d rules of the seed pack, want 2 (renamed?)", tuned)
	}
	set, err := rules.Validate(files, s)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// peakRSS is the process's peak resident set in KiB: VmHWM from
// /proc/self/status, which starts afresh at exec (getrusage's ru_maxrss
// keeps the parent's from the fork).
func peakRSS(t *testing.T) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			if err == nil {
				return kb
			}
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
