package influxout

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"facmon/alarms"
)

// Measurement is the InfluxDB measurement of alarm transitions.
const Measurement = "alarm"

// InfluxDB stores nanoseconds since the epoch in an int64.
var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// maxSeries bounds the encoder's memory of the last timestamp per series.
const maxSeries = 100_000

// encoder turns transitions into line protocol. Two transitions of one
// series (same tags) at the same nanosecond would overwrite each other in
// InfluxDB — a clear and the next raise caused by one point do exactly
// that — so the encoder moves a later one to the next free nanosecond.
type encoder struct {
	last map[string]int64
}

func newEncoder() encoder { return encoder{last: make(map[string]int64)} }

// line encodes t, or reports false if its time cannot be stored.
func (e *encoder) line(t *alarms.Transition) ([]byte, bool) {
	if t.Time.Before(minTime) || t.Time.After(maxTime) {
		return nil, false
	}
	b := appendSeries(make([]byte, 0, 256), t)
	ns := e.unique(string(b), t.Time.UnixNano())
	b = appendFields(b, t)
	b = append(b, ' ')
	return strconv.AppendInt(b, ns, 10), true
}

func (e *encoder) unique(series string, ns int64) int64 {
	if last, ok := e.last[series]; ok && ns <= last && last < math.MaxInt64 {
		ns = last + 1
	}
	if len(e.last) >= maxSeries {
		clear(e.last)
	}
	e.last[series] = ns
	return ns
}

// appendSeries writes the measurement and the tags, sorted by key as
// InfluxDB prefers. Empty tags are left out: line protocol has no empty
// tag value.
func appendSeries(b []byte, t *alarms.Transition) []byte {
	b = append(b, Measurement...)
	for _, tag := range [...]struct{ k, v string }{
		{"area", t.Area}, {"device", t.Device}, {"kind", t.Kind}, {"rule", t.Rule},
		{"severity", t.Severity.String()}, {"site", t.Site},
	} {
		if v := cleanTag(tag.v); v != "" {
			b = append(b, ',')
			b = append(b, tag.k...)
			b = append(b, '=')
			b = appendEscaped(b, v, ",= ")
		}
	}
	return b
}

// appendFields writes the fields (see docs/alarm-api.md).
func appendFields(b []byte, t *alarms.Transition) []byte {
	if d, ok := activeSeconds(t); ok {
		b = append(b, " active_seconds="...)
		b = strconv.AppendFloat(b, d, 'g', -1, 64)
		b = append(b, ',')
	} else {
		b = append(b, ' ')
	}
	b = appendString(b, "change", t.Change.String())
	for _, f := range [...]struct{ k, v string }{
		{"by", t.By}, {"cite", t.Cite}, {"hold", t.Hold.String()}, {"id", t.ID},
		{"message", t.Message}, {"signal", t.Signal}, {"state", t.To.String()},
	} {
		if f.v != "" {
			b = append(b, ',')
			b = appendString(b, f.k, f.v)
		}
	}
	if !math.IsNaN(t.Value) && !math.IsInf(t.Value, 0) {
		b = append(b, ",value="...)
		b = strconv.AppendFloat(b, t.Value, 'g', -1, 64)
	}
	return b
}

// activeSeconds is, for a clear, how long the alarm was active and, for an
// ack, how long it waited for the operator.
func activeSeconds(t *alarms.Transition) (float64, bool) {
	if (t.Change != alarms.Clear && t.Change != alarms.Ack) || t.ActiveSince.IsZero() {
		return 0, false
	}
	return t.Time.Sub(t.ActiveSince).Seconds(), true
}

// appendString writes key="value" with the value escaped for a string
// field. Control characters (line breaks above all) become spaces: a line
// is one point, the spooled writer rejects lines with breaks, and
// InfluxDB's parser refuses some others.
func appendString(b []byte, key, v string) []byte {
	b = append(b, key...)
	b = append(b, '=', '"')
	v = strings.ToValidUTF8(v, "\uFFFD")
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\x7f':
			b = append(b, ' ')
		default:
			if c < 0x20 {
				c = ' '
			}
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendEscaped escapes the characters special to line protocol in this
// position with a backslash.
func appendEscaped(b []byte, s, special string) []byte {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(special, s[i]) >= 0 {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return b
}

// cleanTag makes a tag value representable in line protocol, which has no
// escape for line breaks and reads a backslash before a special character
// as an escape: control characters become '_', backslashes '/', invalid
// UTF-8 U+FFFD (the same rule as the point writer's, so alarm and point
// tags of one device match).
func cleanTag(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, special) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\\':
			return '/'
		case r < 0x20 || r == 0x7f:
			return '_'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func special(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }
