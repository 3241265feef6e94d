package influxout

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/collectors/influx"
	"facmon/collectors/spool"
	"facmon/deploy/testbed"
)

// startWriter runs the real spooled InfluxDB writer against db until the
// test ends.
func startWriter(t *testing.T, db *testbed.Influx) *influx.Writer {
	t.Helper()
	sp, err := spool.Open(spool.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w, err := influx.New(influx.Options{URL: db.URL, Bucket: db.Bucket(), Spool: sp, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); _ = sp.Close() })
	return w
}

func waitCount(t *testing.T, db *testbed.Influx, q string, want int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := db.Count(q)
		if err == nil && n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %d (%v), want %d\n%s", q, n, err, want, db.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIntoRealInflux writes a raise, an ack and a clear with awkward names
// through the real writer and spool into InfluxDB 1.8.10 and reads them
// back with InfluxQL, as the dashboards will.
func TestIntoRealInflux(t *testing.T) {
	db := testbed.StartInflux(t)
	o, err := New(Options{Sink: startWriter(t, db)})
	if err != nil {
		t.Fatal(err)
	}
	r := raise()
	r.Device, r.Area, r.Message = "消防 水箱,1", "north=1", `low "0.8" m`
	ack := r
	ack.Change, ack.From, ack.To, ack.By, ack.Time = alarms.Ack, alarms.ActiveUnacked, alarms.ActiveAcked, "张三", t0.Add(30*time.Second)
	clr := ack
	clr.Change, clr.From, clr.To, clr.By, clr.Time, clr.Value = alarms.Clear, alarms.ActiveAcked, alarms.Normal, "", t0.Add(2*time.Minute), 1.2
	if err := o.Transitions(context.Background(), []alarms.Transition{r, ack, clr}); err != nil {
		t.Fatal(err)
	}
	waitCount(t, db, `SELECT count("id") FROM "alarm"`, 3)
	res, err := db.Query(`SELECT "change","state","by","message","cite","active_seconds","value","id" FROM "alarm" WHERE "device" = '消防 水箱,1' AND "area" = 'north=1' AND "severity" = 'major' AND "kind" = 'water_tank' AND "rule" = 'tank-low' AND "site" = 'demo' ORDER BY time`)
	if err != nil {
		t.Fatal(err)
	}
	rows := res.Results[0].Series[0].Values
	want := [][]any{
		{float64(t0.UnixNano()), "raise", "active-unacknowledged", nil, `low "0.8" m`, "篇3·十六·3", nil, 0.8, r.ID},
		{float64(t0.Add(30 * time.Second).UnixNano()), "ack", "active-acknowledged", "张三", `low "0.8" m`, "篇3·十六·3", 30.0, 0.8, r.ID},
		{float64(t0.Add(2 * time.Minute).UnixNano()), "clear", "normal", nil, `low "0.8" m`, "篇3·十六·3", 120.0, 1.2, r.ID},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("rows\n%v\nwant\n%v", rows, want)
	}
}
