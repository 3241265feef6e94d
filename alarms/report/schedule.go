package report

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/internal/site"
)

// ScheduleOptions configure a Schedule.
type ScheduleOptions struct {
	// Site returns the site file in force (it changes on reload); its
	// report section says when and to whom.
	Site func() *site.Site
	// Build makes the report of a period in a language.
	Build func(ctx context.Context, p Period, lang string) (*Report, error)
	// Announce sends the message to receivers (the alarm service's
	// notifiers: alarms/service.Service.Announce).
	Announce func(id, text string, receivers []string, lang string) error
	// Now is the clock (time.Now); the loop waits on real timers, so
	// tests run it under testing/synctest.
	Now    func() time.Time
	Logger *slog.Logger
	// Registerer takes facmon_reports_total{result}; nil: none.
	Registerer prometheus.Registerer
}

// Schedule makes the report of the day before at report.at every day
// (and of the week before on report.weekly) and announces its summary
// and link to report.receivers.
type Schedule struct {
	o    ScheduleOptions
	runs *prometheus.CounterVec
}

// NewSchedule returns a Schedule; Run runs it.
func NewSchedule(o ScheduleOptions) *Schedule {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	runs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "facmon_reports_total",
		Help: "Scheduled reports by result: announced, failed (not made or not announced), unannounced (no receivers)."},
		[]string{"result"})
	if o.Registerer != nil {
		o.Registerer.MustRegister(runs)
	}
	for _, r := range []string{"announced", "failed", "unannounced"} {
		runs.WithLabelValues(r)
	}
	return &Schedule{o: o, runs: runs}
}

// recheck is how long the loop sleeps when the site has no schedule: a
// reload may add one.
const recheck = time.Minute

// Run waits for each report time until ctx ends. A time missed while
// facmon was down is not made up for.
func (sc *Schedule) Run(ctx context.Context) error {
	for {
		now := sc.o.Now()
		due, ok := nextDue(sc.o.Site(), now)
		wait := recheck
		if ok {
			wait = min(due.Sub(now), recheck)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if ok && !sc.o.Now().Before(due) {
			sc.fire(ctx, sc.o.Site(), due)
		}
	}
}

// nextDue is the next report time after now (strictly), in the site's
// zone; ok is false when the site has no schedule.
func nextDue(s *site.Site, now time.Time) (time.Time, bool) {
	if s == nil || s.Report == nil || s.Report.At == "" {
		return time.Time{}, false
	}
	off, err := site.ParseClock(s.Report.At)
	if err != nil {
		return time.Time{}, false
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	n := now.In(loc)
	day := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	for i := range 3 {
		d := day.AddDate(0, 0, i)
		due := time.Date(d.Year(), d.Month(), d.Day(), int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, loc)
		if due.After(now) {
			return due, true
		}
	}
	return time.Time{}, false
}

// Due are the periods reported at due: the day before, and the week
// before on the weekly day.
func Due(s *site.Site, due time.Time) []Period {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	d := due.In(loc)
	today := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	out := []Period{{Kind: KindDay, Start: today.AddDate(0, 0, -1), End: today}}
	if s.Report.Weekly != "" && site.Weekdays[d.Weekday()] == s.Report.Weekly {
		w, _ := Week(today.AddDate(0, 0, -7).Format(time.DateOnly), loc)
		out = append(out, w)
	}
	return out
}

// fire makes and announces the reports due at due.
func (sc *Schedule) fire(ctx context.Context, s *site.Site, due time.Time) {
	if s == nil || s.Report == nil {
		return
	}
	r := s.Report
	for _, p := range Due(s, due) {
		rep, err := sc.o.Build(ctx, p, r.Lang)
		if err != nil {
			sc.o.Logger.Error("report not made", "period", p.ID(), "err", err)
			sc.runs.WithLabelValues("failed").Inc()
			continue
		}
		text := Message(rep, Link(s, p))
		if len(r.Receivers) == 0 {
			sc.o.Logger.Info("report made; no receivers to announce it to", "period", p.ID())
			sc.runs.WithLabelValues("unannounced").Inc()
			continue
		}
		if err := sc.o.Announce("report/"+s.ID+"/"+p.ID(), text, slices.Clone(r.Receivers), r.Lang); err != nil {
			sc.o.Logger.Error("report not announced", "period", p.ID(), "err", err)
			sc.runs.WithLabelValues("failed").Inc()
			continue
		}
		sc.runs.WithLabelValues("announced").Inc()
		sc.o.Logger.Info("report announced", "period", p.ID(), "receivers", r.Receivers)
	}
}

// Message is the text announced: the brief and the link.
func Message(r *Report, link string) string {
	if link == "" {
		return r.Brief()
	}
	return fmt.Sprintf("%s %s", r.Brief(), link)
}
