package backtest

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Lang is the language of a rendered report's labels.
type Lang string

// Languages: Chinese is the default, as for everything people on site
// read.
const (
	Chinese Lang = "zh"
	English Lang = "en"
)

// labels are a report's words.
type labels struct {
	title, period, points, rule, device, raised, inAlarm, chatter, longest, median string
	old, new, appeared, disappeared, gaps, start, end, duration, none, active, gap string
	value, oldBand, newBand, changed                                               string
}

var words = map[Lang]labels{
	Chinese: {title: "规则回测", period: "时段", points: "回放数据点", rule: "规则", device: "设备",
		raised: "报警次数", inAlarm: "报警时长", chatter: "抖动", longest: "最长", median: "中位",
		old: "现行", new: "新", appeared: "新增的报警", disappeared: "消失的报警", gaps: "数据缺口",
		start: "开始", end: "结束", duration: "时长", none: "无", active: "至结束仍在报警", gap: "跨数据缺口",
		value: "数值", oldBand: "现行规则报警", newBand: "新规则报警", changed: "有变化的规则"},
	English: {title: "Rule backtest", period: "Period", points: "points replayed", rule: "rule", device: "device",
		raised: "raised", inAlarm: "in alarm", chatter: "chattering", longest: "longest", median: "median",
		old: "current", new: "new", appeared: "Alarms that appear", disappeared: "Alarms that disappear", gaps: "Gaps in the data",
		start: "start", end: "end", duration: "duration", none: "none", active: "still active at the end", gap: "across a data gap",
		value: "value", oldBand: "current rules' alarms", newBand: "new rules' alarms", changed: "Changed rules"},
}

func wordsFor(l Lang) labels {
	if w, ok := words[l]; ok {
		return w
	}
	return words[Chinese]
}

// ParseLang reads "zh" or "en".
func ParseLang(s string) (Lang, error) {
	if _, ok := words[Lang(s)]; ok {
		return Lang(s), nil
	}
	return "", fmt.Errorf("language %q: want zh or en", s)
}

// WriteJSON writes the report as indented JSON (times in RFC 3339 in the
// site's time zone, durations as "1h2m3s").
func WriteJSON(w io.Writer, r *Report) error {
	local := *r
	local.From, local.To = r.From.In(r.Location), r.To.In(r.Location)
	local.Appeared = inZone(r.Appeared, r.Location)
	local.Disappeared = inZone(r.Disappeared, r.Location)
	local.Gaps = make([]Gap, len(r.Gaps))
	for i, g := range r.Gaps {
		local.Gaps[i] = Gap{Device: g.Device, From: g.From.In(r.Location), To: g.To.In(r.Location)}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&local)
}

func inZone(as []Alarm, loc *time.Location) []Alarm {
	out := make([]Alarm, len(as))
	for i, a := range as {
		a.Start = a.Start.In(loc)
		if !a.End.IsZero() {
			a.End = a.End.In(loc)
		}
		out[i] = a
	}
	return out
}

// WriteTable writes the report for a terminal.
func WriteTable(w io.Writer, r *Report, l Lang) error {
	wd := wordsFor(l)
	fmt.Fprintf(w, "%s %s: %s — %s, %d %s\n\n", wd.title, r.Site, r.stamp(r.From), r.stamp(r.To), r.Points, wd.points)
	var c columns
	c.add(wd.rule, wd.device, wd.raised, wd.inAlarm, wd.chatter, wd.longest, wd.median)
	for _, row := range r.Rows {
		o, n := row.Old, row.New
		c.add(row.Rule, row.Device, pair(o.Raised, n.Raised), pair(o.InAlarm, n.InAlarm),
			pair(o.Chattering, n.Chattering), pair(o.Longest, n.Longest), pair(o.Median, n.Median))
	}
	if err := c.write(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "(%s → %s)\n", wd.old, wd.new)
	r.writeAlarms(w, wd.appeared, r.Appeared, wd)
	r.writeAlarms(w, wd.disappeared, r.Disappeared, wd)
	fmt.Fprintf(w, "\n%s (%d):\n", wd.gaps, len(r.Gaps))
	for _, g := range r.Gaps {
		fmt.Fprintf(w, "  %s  %s — %s  (%s)\n", g.Device, r.stamp(g.From), r.stamp(g.To), Dur(g.Duration()))
	}
	return nil
}

func (r *Report) writeAlarms(w io.Writer, title string, as []Alarm, wd labels) {
	fmt.Fprintf(w, "\n%s (%d):\n", title, len(as))
	for _, a := range as {
		end := r.stamp(a.End)
		if a.End.IsZero() {
			end = wd.active
		}
		note := ""
		if a.AcrossGap {
			note = ", " + wd.gap
		}
		fmt.Fprintf(w, "  %s  %s  %s — %s  (%s%s)\n", a.Rule, a.Device, r.stamp(a.Start), end, a.Duration, note)
	}
}

// stamp writes a time in the site's zone.
func (r *Report) stamp(t time.Time) string { return t.In(r.Location).Format("2006-01-02 15:04:05") }

// pair writes "old → new", or one value when they are equal.
func pair[T comparable](old, new T) string {
	if old == new {
		return fmt.Sprint(old)
	}
	return fmt.Sprintf("%v → %v", old, new)
}
