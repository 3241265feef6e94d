package report

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/internal/site"
)

// The schedule makes the day before at report.at in the site's zone, the
// week before on report.weekly, and announces the brief with the link.
func TestScheduleAnnounces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The bubble's clock starts at 2000-01-01 00:00 UTC (08:00 in
		// Shanghai, a Saturday); 2000-01-03 is a Monday.
		loc, _ := time.LoadLocation("Asia/Shanghai")
		s := &site.Site{ID: "t", Name: "测试小区", Location: loc,
			Notify: site.Notify{PublicURL: "https://facmon.example.com/"},
			Report: &site.Report{At: "07:30", Weekly: "mon", Receivers: []string{"ding", "sms"}}}
		var mu sync.Mutex
		type call struct {
			id, text string
			to       []string
			at       time.Time
		}
		var calls []call
		built := 0
		reg := prometheus.NewRegistry()
		sc := NewSchedule(ScheduleOptions{Registerer: reg,
			Site: func() *site.Site { return s },
			Build: func(_ context.Context, p Period, lang string) (*Report, error) {
				built++
				return &Report{Site: s, Period: p, Lang: lang, Alarms: Alarms{Raised: built}}, nil
			},
			Announce: func(id, text string, to []string, lang string) error {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, call{id, text, to, time.Now()})
				return nil
			},
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = sc.Run(ctx) }()
		time.Sleep(48 * time.Hour)
		cancel()
		<-done
		want := []call{
			{"report/t/2000-01-01", "运行日报（2000-01-01）：新增告警1条（紧急0条），未恢复0条，超时0项。 https://facmon.example.com/reports/2000-01-01",
				[]string{"ding", "sms"}, time.Date(2000, 1, 2, 7, 30, 0, 0, loc)},
			{"report/t/2000-01-02", "运行日报（2000-01-02）：新增告警2条（紧急0条），未恢复0条，超时0项。 https://facmon.example.com/reports/2000-01-02",
				[]string{"ding", "sms"}, time.Date(2000, 1, 3, 7, 30, 0, 0, loc)},
			{"report/t/week-1999-12-27", "运行周报（1999-12-27 — 2000-01-02）：新增告警3条（紧急0条），未恢复0条，超时0项。 https://facmon.example.com/reports/week-1999-12-27",
				[]string{"ding", "sms"}, time.Date(2000, 1, 3, 7, 30, 0, 0, loc)},
		}
		if !slices.EqualFunc(calls, want, func(a, b call) bool {
			return a.id == b.id && a.text == b.text && slices.Equal(a.to, b.to) && a.at.Equal(b.at)
		}) {
			t.Errorf("announced\n got  %+v\n want %+v", calls, want)
		}
		if got := testutil.ToFloat64(sc.runs.WithLabelValues("announced")); got != 3 {
			t.Errorf("facmon_reports_total{result=announced} = %v, want 3", got)
		}
	})
}

func TestPeriods(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	for _, tc := range []struct {
		id, start, end string
	}{
		{"2026-12-05", "2026-12-05", "2026-12-06"},
		{"week-2026-12-05", "2026-11-30", "2026-12-07"}, // a Saturday: its week starts Monday 11-30
		{"week-2026-11-30", "2026-11-30", "2026-12-07"},
		{"week-2026-12-06", "2026-11-30", "2026-12-07"}, // Sunday ends the week
	} {
		p, err := ParseID(tc.id, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Start.Format(time.DateOnly) + " " + p.End.Format(time.DateOnly); got != tc.start+" "+tc.end || p.Start.Location() != loc {
			t.Errorf("%s: %s, want %s %s", tc.id, got, tc.start, tc.end)
		}
	}
	if _, err := ParseID("2026-13-01", loc); err == nil {
		t.Error("2026-13-01: no error")
	}
}
