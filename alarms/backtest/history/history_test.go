package history

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"facmon/collectors"
	"facmon/deploy/testbed"
	"facmon/internal/site"
)

// TestReadPagesInTimeOrder reads two devices from a real InfluxDB 1.8.10
// in small pages: rows of one device that share timestamps (the device
// moved area, so two series) are each read once, booleans stay booleans,
// the reserved field time_ is the signal time, status strings become
// status points before the values of their time, and fields no signal
// names and other sites are left out.
func TestReadPagesInTimeOrder(t *testing.T) {
	in := testbed.StartInflux(t)
	s, err := site.Parse("site.yaml", []byte(`site: t
timezone: UTC
areas: [{id: a}, {id: b}]
devices:
  - id: p1
    kind: pump
    area: b
    signals:
      - {name: running, type: state, states: {0: "off", 1: "on"}}
      - {name: time, type: analog, unit: h}
  - id: p2
    kind: pump
    area: a
    signals: [{name: running, type: state, states: {0: "off", 1: "on"}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var lines []string
	for i := range 7 {
		ns := t0.Add(time.Duration(i) * time.Minute).UnixNano()
		lines = append(lines,
			fmt.Sprintf("pump,area=a,device=p1,site=t running=true,time_=%d,other=1 %d", i, ns),
			fmt.Sprintf("pump,area=b,device=p1,site=t running=false %d", ns),
			fmt.Sprintf("pump,area=a,device=p2,site=t running=true %d", ns+int64(time.Second)),
			fmt.Sprintf("pump,area=a,device=p2,site=elsewhere running=false %d", ns))
	}
	lines = append(lines, fmt.Sprintf("device_status,area=a,device=p2,kind=pump,site=t status=\"offline\",online=false %d", t0.Add(3*time.Minute+time.Second).UnixNano()))
	resp, err := http.Post(in.URL+"/write?db="+in.DB, "text/plain", strings.NewReader(strings.Join(lines, "\n")))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: %v %v", err, resp)
	}
	resp.Body.Close()
	r, err := New(Options{URL: in.URL, Bucket: in.Bucket(), PageSize: 3, Concurrent: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = r.Read(context.Background(), s, t0, t0.Add(5*time.Minute), nil, func(pts []collectors.Point) error {
		for _, p := range pts {
			got = append(got, fmt.Sprintf("%s %s %s=%g bool=%v q=%s", p.Time.Sub(t0), p.Device, p.Signal, p.Value, p.Bool, p.Quality))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 5 {
		at := time.Duration(i) * time.Minute
		want = append(want,
			fmt.Sprintf("%s p1 running=1 bool=true q=good", at), fmt.Sprintf("%s p1 time=%d bool=false q=good", at, i),
			fmt.Sprintf("%s p1 running=0 bool=true q=good", at))
		if i == 3 {
			want = append(want, fmt.Sprintf("%s p2 _status=1 bool=false q=bad", at+time.Second))
		}
		want = append(want, fmt.Sprintf("%s p2 running=1 bool=true q=good", at+time.Second))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("read:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Only some signals, and devices not named are not read.
	got = got[:0]
	err = r.Read(context.Background(), s, t0, t0.Add(2*time.Minute), map[string][]string{"p1": {"time"}}, func(pts []collectors.Point) error {
		for _, p := range pts {
			got = append(got, fmt.Sprintf("%s %s %s=%g", p.Time.Sub(t0), p.Device, p.Signal, p.Value))
		}
		return nil
	})
	if err != nil || strings.Join(got, ";") != "0s p1 time=0;1m0s p1 time=1" {
		t.Errorf("selected read: %v %q", err, got)
	}
}

func TestReadErrors(t *testing.T) {
	if _, err := New(Options{Bucket: "facmon"}); err == nil || !strings.Contains(err.Error(), "url is empty") {
		t.Errorf("no URL: %v", err)
	}
	in := testbed.StartInflux(t)
	s, _ := site.Parse("site.yaml", []byte("site: t\ntimezone: UTC\nareas: [{id: a}]\ndevices: [{id: p1, kind: pump, area: a, signals: [{name: running, type: state}]}]\n"))
	r, _ := New(Options{URL: in.URL, Bucket: "nosuchdb/autogen"})
	err := r.Read(context.Background(), s, time.Unix(0, 0), time.Unix(60, 0), nil, func([]collectors.Point) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `device "p1"`) || !strings.Contains(err.Error(), "database not found") {
		t.Errorf("missing database: %v", err)
	}
}
