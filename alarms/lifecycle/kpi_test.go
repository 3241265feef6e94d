package lifecycle

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/alarms"
	"facmon/internal/site"
)

// TestKPI: the figures on a simulated clock.
func TestKPI(t *testing.T) {
	raise := func(id, dev string, at time.Duration) alarms.Transition {
		return alarms.Transition{ID: id, Rule: "r", Device: dev, Change: alarms.Raise, To: alarms.ActiveUnacked,
			Time: t0.Add(at), ActiveSince: t0.Add(at)}
	}
	clr := func(tr alarms.Transition, at time.Duration) alarms.Transition {
		tr.Change, tr.From, tr.To, tr.Time = alarms.Clear, alarms.ActiveUnacked, alarms.ClearedUnacked, t0.Add(at)
		return tr
	}
	ack := func(tr alarms.Transition, at time.Duration) alarms.Transition {
		tr.Change, tr.From, tr.To, tr.Time = alarms.Ack, alarms.ActiveUnacked, alarms.ActiveAcked, t0.Add(at)
		return tr
	}
	chatter := func() []alarms.Transition {
		var ts []alarms.Transition
		for i := range 4 {
			r := raise("c"+string(rune('0'+i)), "flappy", time.Duration(i)*10*time.Second)
			ts = append(ts, r, clr(r, time.Duration(i)*10*time.Second+5*time.Second))
		}
		return ts
	}
	a := raise("a", "d1", 0)
	cases := []struct {
		name string
		ts   []alarms.Transition
		at   time.Duration
		want Figures
	}{
		{"one standing alarm", []alarms.Transition{a}, time.Minute, Figures{Raised: 1, Standing: 1}},
		{"cleared alarm is not standing", []alarms.Transition{a, clr(a, 30*time.Second)}, time.Minute, Figures{Raised: 1}},
		{"rate window slides", []alarms.Transition{a, clr(a, time.Second)}, 11 * time.Minute, Figures{}},
		{"stale after a day", []alarms.Transition{a, ack(a, time.Minute)}, 25 * time.Hour, Figures{Standing: 1, Stale: 1}},
		{"chattering: 4 raises in a minute", chatter(), 40 * time.Second, Figures{Raised: 4, Chattering: 1}},
		{"chatter window slides", chatter(), 2 * time.Minute, Figures{Raised: 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := t0
			reg := prometheus.NewRegistry()
			k := NewKPI(KPIOptions{Clock: func() time.Time { return now }, Registerer: reg})
			if err := k.Transitions(bg, c.ts); err != nil {
				t.Fatal(err)
			}
			now = t0.Add(c.at)
			if got := k.Figures(now); got != c.want {
				t.Fatalf("figures %+v, want %+v", got, c.want)
			}
			want := "# HELP facmon_alarm_kpi_standing Alarms active now.\n# TYPE facmon_alarm_kpi_standing gauge\nfacmon_alarm_kpi_standing " +
				map[bool]string{true: "1", false: "0"}[c.want.Standing == 1] + "\n"
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "facmon_alarm_kpi_standing"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestKPITimeToAck: an ack two minutes after the raise is observed as 120 s.
func TestKPITimeToAck(t *testing.T) {
	reg := prometheus.NewRegistry()
	k := NewKPI(KPIOptions{Clock: func() time.Time { return t0 }, Registerer: reg})
	r := alarms.Transition{ID: "a", Change: alarms.Raise, To: alarms.ActiveUnacked, Time: t0, ActiveSince: t0}
	ak := r
	ak.Change, ak.From, ak.To, ak.Time = alarms.Ack, alarms.ActiveUnacked, alarms.ActiveAcked, t0.Add(2*time.Minute)
	if err := k.Transitions(bg, []alarms.Transition{r, ak}); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(k.m.raised); got != 1 {
		t.Fatalf("raised_total %v", got)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "facmon_alarm_kpi_time_to_ack_seconds" {
			if h := mf.GetMetric()[0].GetHistogram(); h.GetSampleSum() != 120 || h.GetSampleCount() != 1 {
				t.Fatalf("time to ack: sum %v count %v", h.GetSampleSum(), h.GetSampleCount())
			}
			return
		}
	}
	t.Fatal("no time-to-ack histogram")
}

// TestKPIResolveDeadlines: an alarm still active past its severity's
// resolve deadline (篇4·02PART·11) is overdue and counted once as missed,
// also when it clears late before a tick saw it; one cleared in time, or
// of a severity without a deadline, is not.
func TestKPIResolveDeadlines(t *testing.T) {
	raise := func(id string, sev alarms.Severity) alarms.Transition {
		return alarms.Transition{ID: id, Rule: "r", Device: id, Severity: sev, Change: alarms.Raise, To: alarms.ActiveUnacked,
			Time: t0, ActiveSince: t0}
	}
	clr := func(tr alarms.Transition, at time.Duration) alarms.Transition {
		tr.Change, tr.From, tr.To, tr.Time = alarms.Clear, alarms.ActiveUnacked, alarms.ClearedUnacked, t0.Add(at)
		return tr
	}
	reg := prometheus.NewRegistry()
	now := t0
	k := NewKPI(KPIOptions{Clock: func() time.Time { return now }, Registerer: reg,
		Resolve: ResolveDeadlines(site.Escalation{Critical: site.Duration(time.Hour), Major: site.Duration(4 * time.Hour)})})
	crit, major, late, minor := raise("crit", alarms.Critical), raise("major", alarms.Major), raise("late", alarms.Critical), raise("minor", alarms.Minor)
	if err := k.Transitions(bg, []alarms.Transition{crit, major, late, minor}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at   time.Duration
		ts   []alarms.Transition
		want Figures
	}{
		{time.Hour, nil, Figures{Standing: 4}},
		{time.Hour + time.Second, []alarms.Transition{clr(late, time.Hour+time.Second)}, Figures{Standing: 3, Overdue: 1, ResolveMissed: 2}},
		{2 * time.Hour, []alarms.Transition{clr(crit, 2*time.Hour)}, Figures{Standing: 2, ResolveMissed: 2}},
		{3 * time.Hour, []alarms.Transition{clr(major, 3*time.Hour)}, Figures{Standing: 1, ResolveMissed: 2}},
		{100 * time.Hour, nil, Figures{Standing: 1, Stale: 1, ResolveMissed: 2}},
	}
	for _, st := range steps {
		now = t0.Add(st.at)
		if err := k.Transitions(bg, st.ts); err != nil {
			t.Fatal(err)
		}
		if got := k.Figures(now); got != st.want {
			t.Fatalf("at %v: figures %+v, want %+v", st.at, got, st.want)
		}
	}
	want := "# HELP facmon_alarm_kpi_resolve_missed_total Alarms not resolved within their severity's resolve deadline (篇4·02PART·11).\n" +
		"# TYPE facmon_alarm_kpi_resolve_missed_total counter\nfacmon_alarm_kpi_resolve_missed_total 2\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "facmon_alarm_kpi_resolve_missed_total"); err != nil {
		t.Fatal(err)
	}
}
