package check

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"facmon/collectors/sim"
	"facmon/deploy/testbed"
)

// checkRunOnVisible runs the power dashboard's state-timeline queries
// over the first mains outage of the simulated day, with the interval
// Grafana would use for the whole day, and checks what the panel draws:
// the generator still running about 3 minutes after the mains returned,
// while the switch is back on the mains (篇3·十五·7).
func checkRunOnVisible(t *testing.T, in *testbed.Influx, d *Dashboard, day Range) {
	t.Helper()
	qs := panelQueries(d, "市电 / 发电机 / 转换开关")
	if len(qs) != 3 {
		t.Fatalf("power timeline: %d queries, want 3", len(qs))
	}
	// The panel's step over a whole day (what an operator sees first);
	// the rows of the outage are then picked out of it.
	whole := Range{From: day.From, To: day.To, MaxDataPoints: qs[0].MaxDataPoints}
	step := Interval(whole, minInterval(qs[0].Interval))
	vars := resolveVariables(t, in, d, day, "single")
	outage := day.From.Add(scenarioAt[0].after)
	mains := stateChanges(t, in, Interpolate(qs[0].Text, vars, whole, step), outage)
	gen := stateChanges(t, in, Interpolate(qs[1].Text, vars, whole, step), outage)
	sw := stateChanges(t, in, Interpolate(qs[2].Text, vars, whole, step), outage)
	back, ok1 := firstAfter(mains, outage, "true")
	stop, ok2 := firstAfter(gen, back, "false")
	onMains, ok3 := firstAfter(sw, back, "0")
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("outage at %s not seen: mains %v, generator %v, switch %v", outage, mains, gen, sw)
	}
	runOn := stop.Sub(back)
	t.Logf("power timeline at %s steps: mains back %s, switch on mains %s later, generator stopped %s later",
		step, back.Format(time.TimeOnly), onMains.Sub(back), runOn)
	if runOn < sim.GenRunOn-2*step || runOn > sim.GenRunOn+2*step {
		t.Errorf("run-on drawn as %s, want %s ± 2 steps of %s", runOn, sim.GenRunOn, step)
	}
	if !onMains.Before(stop) {
		t.Errorf("switch back on mains at %s, not before the generator stopped at %s", onMains, stop)
	}
}

// panelQueries are the queries of a panel, by title.
func panelQueries(d *Dashboard, title string) []Query {
	var out []Query
	for _, q := range d.Queries {
		if q.Kind == PanelInflux && strings.HasPrefix(q.Where, "panel \""+title+"\"") {
			out = append(out, q)
		}
	}
	return out
}

type change struct {
	at    time.Time
	value string
}

// stateChanges runs a state query and returns the changes of its first
// series from an hour before at on.
func stateChanges(t *testing.T, in *testbed.Influx, q string, at time.Time) []change {
	t.Helper()
	res, err := in.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) == 0 || len(res.Results[0].Series) == 0 {
		t.Fatalf("no series: %s", q)
	}
	var out []change
	for _, row := range res.Results[0].Series[0].Values {
		ns, _ := row[0].(float64)
		ts := time.Unix(0, int64(ns))
		v := fmtValue(row[1])
		if ts.Before(at.Add(-time.Hour)) || v == "<nil>" {
			continue
		}
		if len(out) == 0 || out[len(out)-1].value != v {
			out = append(out, change{ts, v})
		}
	}
	return out
}

// fmtValue writes a state as the panel's value mappings see it: booleans
// as true/false, numbers as themselves.
func fmtValue(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return "<nil>"
}

// firstAfter is the first change to value after t.
func firstAfter(cs []change, t time.Time, value string) (time.Time, bool) {
	i := slices.IndexFunc(cs, func(c change) bool { return c.at.After(t) && c.value == value })
	if i < 0 {
		return time.Time{}, false
	}
	return cs[i].at, true
}
