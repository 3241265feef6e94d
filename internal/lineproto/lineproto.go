// Package lineproto writes InfluxDB line protocol: the one encoder of
// measurements, tags, fields and timestamps that the point writer
// (collectors/influx) and the alarm-transition writer (alarms/influxout)
// share, so that a device's tags are spelled alike in both and every
// escaping rule lives in one place.
//
//	line = measurement ("," key "=" value)* " " field ("," field)* " " time-ns
//
// Identifiers (measurement, tag and field keys, tag values) are made
// representable first with Clean; the Append functions escape what line
// protocol needs escaped at each position.
package lineproto

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MinNano and MaxNano bound the timestamps InfluxDB accepts (nanoseconds
// since the epoch; the extremes of int64 are reserved).
const (
	MinNano = math.MinInt64 + 2
	MaxNano = math.MaxInt64 - 1
)

// InRange reports whether t can be stored by InfluxDB.
func InRange(t time.Time) bool {
	return !t.Before(time.Unix(0, MinNano)) && !t.After(time.Unix(0, MaxNano))
}

// Clean makes an identifier representable in line protocol, which has no
// escape for line breaks and reads a backslash before a special character
// as an escape: control characters become '_', backslashes '/', invalid
// UTF-8 U+FFFD. Site-file ids never contain them; MQTT-sourced ids might.
func Clean(s string) string {
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

// AppendMeasurement writes the measurement name.
func AppendMeasurement(b []byte, name string) []byte { return appendEscaped(b, name, ", ") }

// AppendTag writes ",key=value".
func AppendTag(b []byte, key, value string) []byte {
	b = append(b, ',')
	b = appendEscaped(b, key, ",= ")
	b = append(b, '=')
	return appendEscaped(b, value, ",= ")
}

// AppendFieldSep writes what comes before the i-th field of a line: the
// space after the series for the first, a comma for the others.
func AppendFieldSep(b []byte, i int) []byte {
	if i == 0 {
		return append(b, ' ')
	}
	return append(b, ',')
}

// AppendFloat writes key=value as a float field.
func AppendFloat(b []byte, key string, v float64) []byte {
	b = appendKey(b, key)
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// AppendBool writes key=true|false.
func AppendBool(b []byte, key string, v bool) []byte {
	b = appendKey(b, key)
	return strconv.AppendBool(b, v)
}

// AppendString writes key="value" with the value escaped for a string
// field. Control characters (line breaks above all) become spaces and
// invalid UTF-8 U+FFFD: a line is one point, the spooled writer rejects
// lines with breaks, and InfluxDB's parser refuses some others.
func AppendString(b []byte, key, v string) []byte {
	b = appendKey(b, key)
	b = append(b, '"')
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

// AppendTime ends the line with its timestamp in nanoseconds.
func AppendTime(b []byte, ns int64) []byte {
	b = append(b, ' ')
	return strconv.AppendInt(b, ns, 10)
}

func appendKey(b []byte, key string) []byte {
	b = appendEscaped(b, key, ",= ")
	return append(b, '=')
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
