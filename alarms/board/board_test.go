package board

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/alarms"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// raised is a raise transition of rule on device at t0+sec.
func raised(rule, device string, sev alarms.Severity, sec int) alarms.Transition {
	at := t0.Add(time.Duration(sec) * time.Second)
	return alarms.Transition{ID: alarms.AlarmID(rule, device, at), Rule: rule, Site: "demo", Area: "north",
		Kind: "water_tank", Device: device, Severity: sev, Message: rule + " on " + device, Cite: "篇3·十六·3",
		Change: alarms.Raise, Value: 0.5, Time: at, ActiveSince: at, From: alarms.Normal, To: alarms.ActiveUnacked}
}

// next is the transition that follows t with change c at t+sec.
func next(t alarms.Transition, c alarms.Change, sec int, by string) alarms.Transition {
	n := t
	n.Change, n.From, n.Time, n.By = c, t.To, t.Time.Add(time.Duration(sec)*time.Second), by
	switch {
	case c == alarms.Ack && t.To == alarms.ClearedUnacked:
		n.To = alarms.Normal
	case c == alarms.Ack:
		n.To = alarms.ActiveAcked
	case c == alarms.Clear && t.To == alarms.ActiveAcked:
		n.To = alarms.Normal
	case c == alarms.Clear:
		n.To = alarms.ClearedUnacked
	}
	return n
}

func feed(t *testing.T, b *Board, ts ...alarms.Transition) {
	t.Helper()
	if err := apply(context.Background(), b, ts); err != nil {
		t.Fatal(err)
	}
}

// apply hands ts to the board and, as the service would journal them, to
// the test history.
func apply(ctx context.Context, b *Board, ts []alarms.Transition) error {
	if h, ok := b.o.Source.(*history); ok {
		_ = h.Transitions(ctx, ts)
	}
	return b.Transitions(ctx, ts)
}

func ids(as []Alarm) string {
	var s []string
	for _, a := range as {
		s = append(s, a.Rule+"/"+a.Device)
	}
	return strings.Join(s, " ")
}

func TestLifecycle(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []alarms.Change
		state string // "" means gone from the board
		by    string
	}{
		{"raised", nil, "active-unacknowledged", ""},
		{"acked", []alarms.Change{alarms.Ack}, "active-acknowledged", "op1"},
		{"acked then cleared", []alarms.Change{alarms.Ack, alarms.Clear}, "", ""},
		{"cleared unacknowledged stays", []alarms.Change{alarms.Clear}, "cleared-unacknowledged", ""},
		{"cleared then acked", []alarms.Change{alarms.Clear, alarms.Ack}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(Options{})
			tr := raised("tank-low", "tank-1", alarms.Major, 0)
			feed(t, b, tr)
			for i, c := range tc.steps {
				tr = next(tr, c, 10*(i+1), map[bool]string{true: "op1"}[c == alarms.Ack])
				feed(t, b, tr)
			}
			got := b.Alarms(ListFilter{})
			if tc.state == "" {
				if len(got) != 0 {
					t.Fatalf("board %v, want empty", ids(got))
				}
				return
			}
			if len(got) != 1 || got[0].State.String() != tc.state || got[0].AckedBy != tc.by {
				t.Fatalf("board %+v, want one alarm %s by %q", got, tc.state, tc.by)
			}
			if got[0].RaiseValue != 0.5 || !got[0].ActiveSince.Equal(t0) {
				t.Fatalf("raise value %v since %v", got[0].RaiseValue, got[0].ActiveSince)
			}
		})
	}
}

// TestBoardOrder: unacknowledged first, then severity, then newest raise;
// alarms raised together keep arrival order.
func TestBoardOrder(t *testing.T) {
	b := New(Options{})
	ackedCritical := raised("fire", "panel-1", alarms.Critical, 1)
	feed(t, b,
		raised("tank-low", "tank-1", alarms.Major, 5),
		raised("bin-full", "bin-1", alarms.Warning, 50),
		ackedCritical,
		raised("zone", "zone-2", alarms.Critical, 10),
		raised("zone", "zone-1", alarms.Critical, 10), // same moment: arrival order
		raised("tank-high", "tank-2", alarms.Major, 20),
		next(ackedCritical, alarms.Ack, 3, "op1"),
	)
	cleared := raised("door", "door-1", alarms.Minor, 2)
	feed(t, b, cleared, next(cleared, alarms.Clear, 5, ""))
	want := "zone/zone-2 zone/zone-1 tank-high/tank-2 tank-low/tank-1 door/door-1 bin-full/bin-1 fire/panel-1"
	if got := ids(b.Alarms(ListFilter{})); got != want {
		t.Fatalf("order\n got %s\nwant %s", got, want)
	}
}

func TestHistoryKeepsNewestN(t *testing.T) {
	b := New(Options{Source: newHistory(3)})
	for i := range 5 {
		feed(t, b, raised("r", fmt.Sprint("d", i), alarms.Minor, i))
	}
	ts, more, err := b.History(context.Background(), HistoryQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range ts {
		got = append(got, tr.Device)
	}
	if strings.Join(got, ",") != "d4,d3,d2" || more {
		t.Fatalf("history %v more %v, want d4,d3,d2 newest first", got, more)
	}
}

func TestGauges(t *testing.T) {
	reg := prometheus.NewRegistry()
	b := New(Options{Registerer: reg})
	r := raised("tank-low", "tank-1", alarms.Major, 0)
	feed(t, b, r, raised("zone", "zone-1", alarms.Critical, 1), raised("zone", "zone-2", alarms.Critical, 2), next(r, alarms.Ack, 5, "op1"))
	want := `
# HELP facmon_alarms Alarms on the board, by state and severity.
# TYPE facmon_alarms gauge
facmon_alarms{severity="critical",state="active-unacknowledged"} 2
facmon_alarms{severity="major",state="active-acknowledged"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "facmon_alarms"); err != nil {
		t.Fatal(err)
	}
}
