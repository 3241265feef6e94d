package deploy

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facmon/deploy/testbed"
)

// BenchmarkCentralInfluxSiteDay measures what one small site costs the
// central InfluxDB (1.8.10, TSM after compaction): a day of 40 devices,
// three fields each, every 10 s — and the same day downsampled to hourly
// means by the body of a continuous query, the figures behind "how
// storage grows" in docs/centre.md.
//
//	go test -run - -bench CentralInfluxSiteDay -benchtime 1x ./deploy
func BenchmarkCentralInfluxSiteDay(b *testing.B) {
	const devices, every = 40, 10 * time.Second
	in := testbed.StartInfluxWith(b, testbed.InfluxOptions{Data: `cache-snapshot-memory-size = "1m"
	  cache-snapshot-write-cold-duration = "1s"
	  compact-full-write-cold-duration = "2s"`})
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	points := 0
	var buf bytes.Buffer
	flush := func() {
		resp, err := http.Post(in.URL+"/write?db="+in.DB+"&precision=s", "text/plain", &buf)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			b.Fatalf("write: %s", resp.Status)
		}
		buf.Reset()
	}
	b.ResetTimer()
	for ts := day; ts.Before(day.Add(24 * time.Hour)); ts = ts.Add(every) {
		for d := range devices {
			// a slowly moving level, a counter and a state, as a tank or meter reports
			fmt.Fprintf(&buf, "water_tank,site=s001,area=a%d,device=dev-%02d level=%.3f,volume=%di,pump=%di %d\n",
				d%5, d, 2+float64((ts.Unix()/60+int64(d))%97)/100, ts.Unix()/30+int64(d*1000), (ts.Unix()/600+int64(d))%2, ts.Unix())
			points++
		}
		if buf.Len() > 1<<20 {
			flush()
		}
	}
	flush()
	raw := settle(b, in, "autogen")
	if _, err := in.Query(`CREATE RETENTION POLICY "hourly" ON "facmon" DURATION 0s REPLICATION 1`); err != nil {
		b.Fatal(err)
	}
	q := `SELECT mean("level") AS "level", last("volume") AS "volume", max("pump") AS "pump" INTO "facmon"."hourly"."water_tank" FROM "facmon"."autogen"."water_tank" WHERE time >= '2026-11-01T00:00:00Z' AND time < '2026-11-02T00:00:00Z' GROUP BY time(1h), *`
	if _, err := in.Query(q); err != nil {
		b.Fatal(err)
	}
	hourly := settle(b, in, "hourly")
	b.StopTimer()
	b.ReportMetric(float64(raw)/float64(points), "B/point")
	b.ReportMetric(float64(raw)/(1<<20), "MiB/site-day")
	b.ReportMetric(float64(hourly)/(1<<10), "KiB/site-day-hourly")
	b.Logf("%d points (%d fields) for one site-day: %d bytes raw (%.1f B/point), %d bytes as hourly means (%.0fx smaller)",
		points, 3*points, raw, float64(raw)/float64(points), hourly, float64(raw)/float64(max(hourly, 1)))
}

// settle waits until the retention policy's TSM files stop changing and
// the WAL is flushed, and returns their size.
func settle(b *testing.B, in *testbed.Influx, rp string) int64 {
	b.Helper()
	last, stable := int64(-1), 0
	for range 120 {
		time.Sleep(time.Second)
		n := dirSize(filepath.Join(in.Dir, "data", in.DB, rp), ".tsm")
		if n > 0 && n == last {
			stable++
			if stable >= 5 {
				return n
			}
		} else {
			stable = 0
		}
		last = n
	}
	b.Fatalf("%s: TSM files never settled", rp)
	return 0
}

func dirSize(dir, suffix string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, suffix) {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
