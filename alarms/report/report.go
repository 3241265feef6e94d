// Package report builds the daily and weekly report a property manager
// prints (篇4·07PART·73–75: the daily stock-take of open items, the weekly
// analysis): alarms by system and severity, the noisiest rules, standing
// and chattering alarms, time to acknowledge and to resolve against the
// deadlines of 篇4·02PART·11 with every missed one listed, the zone
// arm/disarm/bypass log, device availability, generator runs, tank levels
// and water and energy use per meter. Alarm figures come from the journal
// (read without changing it, beside the running service), readings from
// InfluxDB through alarms/backtest/history. The page is one HTML document
// with SVG charts and print CSS, Chinese by default; docs/report.md.
package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"facmon/alarms/backtest/history"
	"facmon/alarms/journal"
	"facmon/alarms/lifecycle"
	"facmon/internal/site"
)

// Options say what a report reads.
type Options struct {
	// Site is the checked site file: names, time zone, deadlines.
	Site *site.Site
	// JournalDir is DATA_DIR/journal.
	JournalDir string
	// History reads the recorded points; nil: the report says readings
	// are not available (no InfluxDB configured).
	History *history.Reader
	// Lang is "zh" (the default) or "en".
	Lang string
	// Now is the clock (time.Now): a period not over yet is reported up
	// to now.
	Now func() time.Time
	// ChatterWindow and ChatterCount: a rule on a device raised more than
	// ChatterCount times within ChatterWindow chatters (the lifecycle's
	// KPI defaults when 0).
	ChatterWindow time.Duration
	ChatterCount  int
}

// Build reads the journal and InfluxDB and computes the report of p.
func Build(ctx context.Context, o Options, p Period) (*Report, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ChatterWindow <= 0 {
		o.ChatterWindow = lifecycle.DefaultChatterWindow
	}
	if o.ChatterCount <= 0 {
		o.ChatterCount = lifecycle.DefaultChatterCount
	}
	now := o.Now()
	r := &Report{Site: o.Site, Period: p, Lang: o.Lang, Generated: now, names: namesOf(o.Site)}
	r.Until = p.End
	if now.Before(r.Until) {
		r.Until = now
	}
	// The whole journal is read: it is capped (10,000 records by default),
	// and alarms raised before the period may stand in it.
	recs, err := journal.ReadRange(o.JournalDir, time.Time{}, time.Time{}, journal.Filter{Limit: 1 << 30})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r.Alarms = alarmFigures(recs, o, p, r.Until)
	r.Zones = zoneLog(recs, p)
	if o.History != nil {
		if r.Readings, err = readings(ctx, o.History, o.Site, p, r.Until); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	return r, nil
}

// Report is one report's figures.
type Report struct {
	Site      *site.Site
	Period    Period
	Lang      string
	Generated time.Time
	// Until is the end of what is reported: the period's end, or now if
	// the period is not over.
	Until time.Time
	Alarms
	Zones []ZoneEntry
	// Readings is nil when no InfluxDB was read.
	Readings *Readings
	names    names
}

// Period is a day or a week in the site's time zone.
type Period struct {
	// Kind is "day" or "week".
	Kind       string
	Start, End time.Time
}

// Period kinds.
const (
	KindDay  = "day"
	KindWeek = "week"
)

// Day is the day of date (2026-12-05) in loc, midnight to midnight.
func Day(date string, loc *time.Location) (Period, error) {
	d, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return Period{}, fmt.Errorf("day %q: want YYYY-MM-DD", date)
	}
	return Period{Kind: KindDay, Start: d, End: d.AddDate(0, 0, 1)}, nil
}

// Week is the week (Monday to Sunday) holding date, in loc.
func Week(date string, loc *time.Location) (Period, error) {
	d, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return Period{}, fmt.Errorf("week %q: want a date YYYY-MM-DD of the week", date)
	}
	back := (int(d.Weekday()) + 6) % 7 // days since Monday
	start := d.AddDate(0, 0, -back)
	return Period{Kind: KindWeek, Start: start, End: start.AddDate(0, 0, 7)}, nil
}

// Previous is the period before p (the day before, the week before).
func (p Period) Previous() Period {
	if p.Kind == KindWeek {
		return Period{Kind: p.Kind, Start: p.Start.AddDate(0, 0, -7), End: p.Start}
	}
	return Period{Kind: p.Kind, Start: p.Start.AddDate(0, 0, -1), End: p.Start}
}

// WeekBefore is p seven days earlier (the same day last week).
func (p Period) WeekBefore() Period {
	return Period{Kind: p.Kind, Start: p.Start.AddDate(0, 0, -7), End: p.End.AddDate(0, 0, -7)}
}

// ID names the period in links and file names: 2026-12-05 or
// week-2026-11-30 (its Monday).
func (p Period) ID() string {
	if p.Kind == KindWeek {
		return "week-" + p.Start.Format(time.DateOnly)
	}
	return p.Start.Format(time.DateOnly)
}

// ParseID reads a period ID back, in loc.
func ParseID(id string, loc *time.Location) (Period, error) {
	if d, ok := strings.CutPrefix(id, "week-"); ok {
		return Week(d, loc)
	}
	return Day(id, loc)
}
