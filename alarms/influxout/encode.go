package influxout

import (
	"math"

	"facmon/alarms"
	"facmon/internal/lineproto"
)

// Measurement is the InfluxDB measurement of alarm transitions.
const Measurement = "alarm"

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
	if !lineproto.InRange(t.Time) {
		return nil, false
	}
	b := appendSeries(make([]byte, 0, 256), t)
	ns := e.unique(string(b), t.Time.UnixNano())
	b = appendFields(b, t)
	return lineproto.AppendTime(b, ns), true
}

func (e *encoder) unique(series string, ns int64) int64 {
	if last, ok := e.last[series]; ok && ns <= last && last < lineproto.MaxNano {
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
	b = lineproto.AppendMeasurement(b, Measurement)
	for _, tag := range [...]struct{ k, v string }{
		{"area", t.Area}, {"device", t.Device}, {"kind", t.Kind}, {"rule", t.Rule},
		{"severity", t.Severity.String()}, {"site", t.Site},
	} {
		if v := lineproto.Clean(tag.v); v != "" {
			b = lineproto.AppendTag(b, tag.k, v)
		}
	}
	return b
}

// appendFields writes the fields (see docs/alarm-api.md).
func appendFields(b []byte, t *alarms.Transition) []byte {
	n := 0
	if d, ok := activeSeconds(t); ok {
		b = lineproto.AppendFieldSep(b, n)
		b = lineproto.AppendFloat(b, "active_seconds", d)
		n++
	}
	b = lineproto.AppendFieldSep(b, n)
	b = lineproto.AppendString(b, "change", t.Change.String())
	for _, f := range [...]struct{ k, v string }{
		{"by", t.By}, {"cite", t.Cite}, {"hold", t.Hold.String()}, {"id", t.ID},
		{"message", t.Message}, {"signal", t.Signal}, {"state", t.To.String()},
	} {
		if f.v != "" {
			b = append(b, ',')
			b = lineproto.AppendString(b, f.k, f.v)
		}
	}
	if !math.IsNaN(t.Value) && !math.IsInf(t.Value, 0) {
		b = append(b, ',')
		b = lineproto.AppendFloat(b, "value", t.Value)
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
