package check

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzInterpolate feeds arbitrary queries and variable values through the
// substitution: it never panics, always replaces $timeFilter and
// $__interval, leaves text without variables alone, and a value
// substituted into /^$v$/ matches exactly itself as an InfluxQL regex.
func FuzzInterpolate(f *testing.F) {
	f.Add(`SELECT last("x") FROM "m" WHERE "site" =~ /^$site$/ AND $timeFilter GROUP BY time($__interval) fill(none)`, "demo")
	f.Add(`SELECT * FROM "m" WHERE "d" =~ /^${site}$/ AND [[site]] tz('${site:raw}')`, "a/b.c*")
	f.Add(`$$$ ${ [[ ]] $__interval_ms $__range`, "示范小区")
	f.Fuzz(func(t *testing.T, q, val string) {
		r := Range{From: time.Unix(1_700_000_000, 0), To: time.Unix(1_700_086_400, 0)}
		out := Interpolate(q, map[string][]string{"site": {val}}, r, 10*time.Second)
		if strings.Contains(out, "$timeFilter") && !strings.Contains(val, "$timeFilter") {
			t.Fatalf("$timeFilter left in %q", out)
		}
		if !strings.ContainsAny(q, "$[") && out != q {
			t.Fatalf("query without variables changed: %q → %q", q, out)
		}
		// Tag values are valid UTF-8 (the writer cleans them).
		if utf8.ValidString(val) {
			checkSelfMatch(t, val)
		}
	})
}

// checkSelfMatch checks the escaped value, as InfluxQL reads the regex
// literal (\/ is a slash), matches exactly the value.
func checkSelfMatch(t *testing.T, val string) {
	lit := Interpolate("$v", map[string][]string{"v": {val}}, Range{}, 0)
	re, err := regexp.Compile("^" + strings.ReplaceAll(lit, `\/`, "/") + "$")
	if err != nil {
		t.Fatalf("value %q escaped as %q: %v", val, lit, err)
	}
	if !re.MatchString(val) {
		t.Fatalf("value %q escaped as %q does not match itself", val, lit)
	}
}

// TestInterpolate shows Grafana's forms of substitution.
func TestInterpolate(t *testing.T) {
	r := Range{From: time.UnixMilli(1000), To: time.UnixMilli(86_401_000)}
	vars := map[string][]string{"one": {"a.b"}, "many": {"x", "y/z"}, "tz": {"Asia/Shanghai"}}
	for _, tc := range []struct{ name, in, want string }{
		{"time filter", "$timeFilter", "time >= 1000ms and time <= 86401000ms"},
		{"interval over a day", "time($__interval)", "time(1m)"},
		{"one value escaped", "/^$one$/", `/^a\.b$/`},
		{"many values as a group", "/^$many$/", `/^(x|y\/z)$/`},
		{"braces", "/^${one}$/", `/^a\.b$/`},
		{"brackets", "[[one]]", `a\.b`},
		{"raw", "tz('${tz:raw}')", "tz('Asia/Shanghai')"},
		{"unknown left", "$nope", "$nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Interpolate(tc.in, vars, r, 0); got != tc.want {
				t.Errorf("Interpolate(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestInterval(t *testing.T) {
	day := Range{From: time.Unix(0, 0), To: time.Unix(86400, 0)}
	for _, tc := range []struct {
		name string
		r    Range
		min  time.Duration
		want string
	}{
		{"day at 1000 points", day, 0, "1m"},
		{"day at 5000 points, 10s minimum", Range{From: day.From, To: day.To, MaxDataPoints: 5000}, 10 * time.Second, "15s"},
		{"hour, 10s minimum", Range{From: day.From, To: day.From.Add(time.Hour)}, 10 * time.Second, "10s"},
		{"a week", Range{From: day.From, To: day.From.Add(7 * 24 * time.Hour)}, 0, "10m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatInterval(Interval(tc.r, tc.min)); got != tc.want {
				t.Errorf("interval %s, want %s", got, tc.want)
			}
		})
	}
}
