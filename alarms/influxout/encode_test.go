package influxout

import (
	"context"
	"math"
	"testing"
	"time"

	"facmon/alarms"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func raise() alarms.Transition {
	return alarms.Transition{
		ID: "tank-low/fire-tank-1/1795766400000", Rule: "tank-low", Site: "demo", Area: "north",
		Kind: "water_tank", Device: "fire-tank-1", Signal: "level", Severity: alarms.Major,
		Message: "fire tank low: 0.8 m", Cite: "篇3·十六·3", Change: alarms.Raise, Value: 0.8,
		Time: t0, ActiveSince: t0, From: alarms.Normal, To: alarms.ActiveUnacked,
	}
}

func TestEncodeLines(t *testing.T) {
	const ns = "1795766400000000000"
	for _, tc := range []struct {
		name string
		edit func(*alarms.Transition)
		want string
	}{
		{"raise", func(*alarms.Transition) {},
			`alarm,area=north,device=fire-tank-1,kind=water_tank,rule=tank-low,severity=major,site=demo change="raise",cite="篇3·十六·3",id="tank-low/fire-tank-1/1795766400000",message="fire tank low: 0.8 m",signal="level",state="active-unacknowledged",value=0.8 ` + ns},
		{"ack has by and time to acknowledge", func(tr *alarms.Transition) {
			tr.Change, tr.From, tr.To, tr.By = alarms.Ack, alarms.ActiveUnacked, alarms.ActiveAcked, "张三"
			tr.ActiveSince = t0.Add(-90 * time.Second)
			tr.Signal, tr.Message, tr.Cite = "", "", ""
		}, `alarm,area=north,device=fire-tank-1,kind=water_tank,rule=tank-low,severity=major,site=demo active_seconds=90,change="ack",by="张三",id="tank-low/fire-tank-1/1795766400000",state="active-acknowledged",value=0.8 ` + ns},
		{"clear has active time", func(tr *alarms.Transition) {
			tr.Change, tr.To, tr.ActiveSince = alarms.Clear, alarms.ClearedUnacked, t0.Add(-1500*time.Millisecond)
			tr.Message, tr.Cite, tr.Signal, tr.ID = "", "", "", "x"
		}, `alarm,area=north,device=fire-tank-1,kind=water_tank,rule=tank-low,severity=major,site=demo active_seconds=1.5,change="clear",id="x",state="cleared-unacknowledged",value=0.8 ` + ns},
		{"special characters escaped", func(tr *alarms.Transition) {
			tr.Area, tr.Device, tr.Rule = "a b,c=d", `dev\1`, "r\nx"
			tr.Message, tr.Cite, tr.Signal, tr.ID = "say \"hi\" \\ then\nmore", "", "", "i"
		}, `alarm,area=a\ b\,c\=d,device=dev/1,kind=water_tank,rule=r_x,severity=major,site=demo change="raise",id="i",message="say \"hi\" \\ then more",state="active-unacknowledged",value=0.8 ` + ns},
		{"empty tags left out, NaN value left out, maintenance hold", func(tr *alarms.Transition) {
			tr.Area, tr.Kind, tr.Value, tr.Hold = "", "", math.NaN(), alarms.Maintenance
			tr.Message, tr.Cite, tr.Signal, tr.ID = "", "", "", "i"
		}, `alarm,device=fire-tank-1,rule=tank-low,severity=major,site=demo change="raise",hold="maintenance",id="i",state="active-unacknowledged" ` + ns},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := raise()
			tc.edit(&tr)
			e := newEncoder()
			got, ok := e.line(&tr)
			if !ok || string(got) != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// A clear and the next raise caused by one point share the series and the
// time; the second must not overwrite the first in InfluxDB.
func TestEncodeSameSeriesSameTimeMovesOn(t *testing.T) {
	e := newEncoder()
	a, b := raise(), raise()
	a.Change = alarms.Clear
	other := raise()
	other.Device = "fire-tank-2"
	var ns []int64
	for _, tr := range []alarms.Transition{a, b, other} {
		l, ok := e.line(&tr)
		if !ok {
			t.Fatal("not encoded")
		}
		ns = append(ns, lineTime(t, l))
	}
	want := []int64{t0.UnixNano(), t0.UnixNano() + 1, t0.UnixNano()}
	for i := range ns {
		if ns[i] != want[i] {
			t.Fatalf("times %v, want %v", ns, want)
		}
	}
}

type lineRecorder struct{ lines [][]byte }

func (r *lineRecorder) PublishLines(_ context.Context, l [][]byte) error {
	r.lines = append(r.lines, l...)
	return nil
}

func TestOutOfRangeTimeSkipped(t *testing.T) {
	rec := &lineRecorder{}
	o, err := New(Options{Sink: rec})
	if err != nil {
		t.Fatal(err)
	}
	bad := raise()
	bad.Time = time.Time{}
	if err := o.Transitions(context.Background(), []alarms.Transition{bad, raise()}); err != nil {
		t.Fatal(err)
	}
	if len(rec.lines) != 1 {
		t.Fatalf("%d lines, want 1 (the zero-time transition is skipped)", len(rec.lines))
	}
}

func TestNewWithoutSink(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("New without sink succeeded")
	}
}
