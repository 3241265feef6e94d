package influx

import (
	"testing"
	"time"

	lp "github.com/influxdata/line-protocol"

	"facmon/collectors"
)

// FuzzEncode encodes an arbitrary point and checks that the line is
// either left out (counted) or parses back, with InfluxData's own
// line-protocol parser, into exactly the cleaned names and the value.
func FuzzEncode(f *testing.F) {
	f.Add("demo", "north", "water_tank", "tank-1", "level", 2.5, false, int64(1700000000123456789))
	f.Add("a b", "x,y", "my kind", "d=1", "s p,=", -1.0, true, int64(0))
	f.Add("阳光花园", "一号楼", "pump", "泵\\1", "运行", 1.0, true, int64(-5))
	f.Fuzz(func(t *testing.T, site, area, kind, device, signal string, v float64, isBool bool, ns int64) {
		p := collectors.Point{Site: site, Area: area, Kind: kind, Device: device, Signal: signal,
			Value: v, Bool: isBool, Time: time.Unix(0, ns)}
		e := encodePoints([]collectors.Point{p}, nil)
		if len(e.lines) == 0 {
			if e.dropped[ReasonInvalid] != 1 {
				t.Fatalf("point neither encoded nor counted: %+v", e.dropped)
			}
			return
		}
		ms, err := lp.NewParser(lp.NewMetricHandler()).Parse(e.lines[0])
		if err != nil || len(ms) != 1 {
			t.Fatalf("line %q does not parse: %v (%d metrics)", e.lines[0], err, len(ms))
		}
		m := ms[0]
		want := map[string]string{"site": clean(site), "area": clean(area), "device": clean(device)}
		if signal == collectors.StatusSignal {
			want["kind"] = clean(kind)
			if m.Name() != StatusMeasurement {
				t.Fatalf("status point went to %q", m.Name())
			}
		} else if m.Name() != clean(kind) {
			t.Fatalf("measurement %q, want %q (line %q)", m.Name(), clean(kind), e.lines[0])
		}
		checkTags(t, m, want, e.lines[0])
		if m.Time().UnixNano() != ns {
			t.Fatalf("time %d, want %d", m.Time().UnixNano(), ns)
		}
		if signal != collectors.StatusSignal {
			checkField(t, m, fieldKey(signal), v, isBool, e.lines[0])
		}
	})
}

func checkTags(t *testing.T, m lp.Metric, want map[string]string, line []byte) {
	t.Helper()
	got := map[string]string{}
	for _, tag := range m.TagList() {
		got[tag.Key] = tag.Value
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("tag %s = %q, want %q (line %q)", k, got[k], v, line)
		}
	}
}

func checkField(t *testing.T, m lp.Metric, key string, v float64, isBool bool, line []byte) {
	t.Helper()
	fl := m.FieldList()
	if len(fl) != 1 || fl[0].Key != key {
		t.Fatalf("fields %v, want one %q (line %q)", fl, key, line)
	}
	switch got := fl[0].Value.(type) {
	case bool:
		if !isBool || got != (v != 0) {
			t.Fatalf("field %v, want %v bool=%v", got, v, isBool)
		}
	case float64:
		if isBool || got != v {
			t.Fatalf("field %v, want %v", got, v)
		}
	default:
		t.Fatalf("field of type %T", got)
	}
}
