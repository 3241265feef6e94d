package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"
)

//go:embed report.html.tmpl
var pageText string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"add": func(a, b int) int { return a + b },
}).Parse(pageText))

// view is what the page template sees.
type view struct {
	*Report
	W *words
	// Charts.
	SystemChart, RuleChart, OfflineChart, TankChart template.HTML
	MeterCharts                                     []template.HTML
	// Offline are the devices that were offline, faulty or unknown;
	// OnlineAll counts the rest.
	Offline   []Availability
	OnlineAll int
}

// HTML writes the report as one HTML page (print CSS inline, charts as
// inline SVG, no script).
func (r *Report) HTML(w io.Writer) error {
	v := &view{Report: r, W: wordsOf(r.Lang)}
	v.charts()
	return page.Execute(w, v)
}

// Site-zone formatting, for the template.

// Time is t in the site's zone: 12-05 14:03:07 (with the year for a
// time outside the period's year).
func (v *view) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(v.Site.Location).Format("01-02 15:04:05")
}

// Day is the period as the title shows it.
func (v *view) Day() string {
	loc := v.Site.Location
	if v.Period.Kind == KindWeek {
		return v.Period.Start.In(loc).Format(time.DateOnly) + " — " + v.Period.End.AddDate(0, 0, -1).In(loc).Format(time.DateOnly)
	}
	return v.Period.Start.In(loc).Format(time.DateOnly)
}

// Dur is a duration for people, "—" for none.
func (v *view) Dur(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return v.W.dur(d)
}

// Minutes is a duration in whole minutes (rounded).
func (v *view) Minutes(d time.Duration) string {
	return strconv.Itoa(int(d.Round(time.Minute) / time.Minute))
}

// Dev, Area and Zone are the site file's names.
func (v *view) Dev(id string) string  { return v.names.device(id) }
func (v *view) Area(id string) string { return v.names.area(id) }
func (v *view) Zone(id string) string { return v.names.zone(id) }

// Sys is a system's name.
func (v *view) Sys(s string) string { return v.W.system(s) }

// Sev is a severity's name (index: severity-1).
func (v *view) Sev(i int) string { return v.W.Severity[i] }

// SevOf names an occurrence's severity.
func (v *view) SevOf(o *Occurrence) string {
	if i := sevIndex(o.Severity); i >= 0 {
		return v.W.Severity[i]
	}
	return o.Severity.String()
}

// Num writes a reading with up to 3 decimals.
func (v *view) Num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Use3 writes a use, "—" when not known.
func (v *view) UseOf(u Use) string {
	if !u.OK {
		return "—"
	}
	return fmt.Sprintf("%.2f", u.Value)
}

// MissWhat names what was missed.
func (v *view) MissWhat(m Miss) string {
	if m.What == MissAck {
		return v.W.Ack
	}
	return v.W.Resolve
}

// Act names a zone action.
func (v *view) Act(z ZoneEntry) string {
	a := v.W.Actions[z.Action]
	if a == "" {
		a = z.Action
	}
	if z.Refused {
		a += v.W.Refused
	}
	return a
}

// ChatterNote states the chatter criterion.
func (v *view) ChatterNote() string {
	return fmt.Sprintf(v.W.ChatterRule, v.W.dur(v.ChatterWindow), v.ChatterCount)
}

// StandingFor is how long an alarm has stood at the end of the report.
func (v *view) StandingFor(o *Occurrence) time.Duration { return v.Until.Sub(o.Raised) }

// Severities are the indexes 0..3 for ranging.
func (v *view) Severities() []int { return []int{0, 1, 2, 3} }

// MeterKind names a meter's kind.
func (v *view) MeterKind(k string) string { return v.W.Kinds[k] }
