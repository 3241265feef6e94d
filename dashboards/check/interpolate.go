package check

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Range is the dashboard time range and the panel width Grafana divides
// it by to get $__interval.
type Range struct {
	From, To      time.Time
	MaxDataPoints int // default 1000
}

// varRef matches $name, ${name} and [[name]] (Grafana's three forms).
var varRef = regexp.MustCompile(`\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]|\$(\w+)`)

// Interpolate substitutes what Grafana's InfluxQL datasource substitutes
// in a raw query: $timeFilter (time >= …ms and time <= …ms), $__interval
// (the range over the data points, not below minInterval, rounded as
// Grafana rounds), $__interval_ms, and template variables. A variable with
// one value gives the value, with several Grafana's regex form
// (a|b|c), values regex-escaped — the query's /^$var$/ then matches any.
// ${name:raw} gives the values as they are, joined by commas. A variable
// at All with an allValue (All) gives the allValue as written. Unknown
// $names are left as they are, as Grafana leaves them.
func Interpolate(q string, vars map[string][]string, r Range, minInterval time.Duration) string {
	iv := Interval(r, minInterval)
	return varRef.ReplaceAllStringFunc(q, func(m string) string {
		sub := varRef.FindStringSubmatch(m)
		name, format := sub[1]+sub[3]+sub[4], sub[2]
		switch name {
		case "timeFilter":
			return fmt.Sprintf("time >= %dms and time <= %dms", r.From.UnixMilli(), r.To.UnixMilli())
		case "__interval":
			return FormatInterval(iv)
		case "__interval_ms":
			return fmt.Sprint(iv.Milliseconds())
		}
		vals, ok := vars[name]
		if !ok {
			return m
		}
		if format == "raw" {
			if len(vals) == 1 && strings.HasPrefix(vals[0], allMark) {
				return strings.TrimPrefix(vals[0], allMark)
			}
			return strings.Join(vals, ",")
		}
		return formatValues(vals)
	})
}

// All is a variable's value when All is selected and the variable has an
// allValue: Grafana puts the allValue into the query as it is written.
func All(allValue string) []string { return []string{allMark + allValue} }

// allMark marks an allValue among a variable's values.
const allMark = "\x00all:"

// formatValues is Grafana's InfluxDB format of a variable's values.
func formatValues(vals []string) string {
	if len(vals) == 1 && strings.HasPrefix(vals[0], allMark) {
		return strings.TrimPrefix(vals[0], allMark)
	}
	if len(vals) == 1 {
		return escapeRegex(vals[0])
	}
	esc := make([]string, len(vals))
	for i, v := range vals {
		esc[i] = escapeRegex(v)
	}
	return "(" + strings.Join(esc, "|") + ")"
}

// escapeRegex escapes regex metacharacters and the slash that ends an
// InfluxQL regex literal.
func escapeRegex(s string) string {
	return strings.ReplaceAll(regexp.QuoteMeta(s), "/", `\/`)
}

// roundSteps are Grafana's interval rounding steps (kbn.roundInterval):
// an interval below the limit becomes the step.
var roundSteps = []struct{ limit, step time.Duration }{
	{15 * time.Millisecond, 10 * time.Millisecond}, {35 * time.Millisecond, 20 * time.Millisecond},
	{75 * time.Millisecond, 50 * time.Millisecond}, {150 * time.Millisecond, 100 * time.Millisecond},
	{350 * time.Millisecond, 200 * time.Millisecond}, {750 * time.Millisecond, 500 * time.Millisecond},
	{1500 * time.Millisecond, time.Second}, {3500 * time.Millisecond, 2 * time.Second},
	{7500 * time.Millisecond, 5 * time.Second}, {12500 * time.Millisecond, 10 * time.Second},
	{17500 * time.Millisecond, 15 * time.Second}, {25 * time.Second, 20 * time.Second},
	{45 * time.Second, 30 * time.Second}, {90 * time.Second, time.Minute},
	{210 * time.Second, 2 * time.Minute}, {450 * time.Second, 5 * time.Minute},
	{750 * time.Second, 10 * time.Minute}, {1050 * time.Second, 15 * time.Minute},
	{1500 * time.Second, 20 * time.Minute}, {2700 * time.Second, 30 * time.Minute},
	{5400 * time.Second, time.Hour}, {9000 * time.Second, 2 * time.Hour},
	{16200 * time.Second, 3 * time.Hour}, {32400 * time.Second, 6 * time.Hour},
	{86400 * time.Second, 12 * time.Hour},
}

// Interval is $__interval for a range: its length over MaxDataPoints,
// rounded, at least minInterval.
func Interval(r Range, minInterval time.Duration) time.Duration {
	n := r.MaxDataPoints
	if n <= 0 {
		n = 1000
	}
	raw := r.To.Sub(r.From) / time.Duration(n)
	iv := 24 * time.Hour
	for _, s := range roundSteps {
		if raw < s.limit {
			iv = s.step
			break
		}
	}
	return max(iv, minInterval)
}

// FormatInterval writes an interval as InfluxQL durations (10s, 1m, 2h).
func FormatInterval(d time.Duration) string {
	for _, u := range []struct {
		unit string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if d >= u.d && d%u.d == 0 {
			return fmt.Sprintf("%d%s", d/u.d, u.unit)
		}
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// VarNames lists the $variables a query uses, sorted, without Grafana's
// built-ins.
func VarNames(q string) []string {
	seen := map[string]bool{}
	for _, sub := range varRef.FindAllStringSubmatch(q, -1) {
		name := sub[1] + sub[3] + sub[4]
		if name != "timeFilter" && !strings.HasPrefix(name, "__") {
			seen[name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
