package lineproto

import (
	"math"
	"testing"
	"time"

	lp "github.com/influxdata/line-protocol"
)

func TestLineEscapesEachPosition(t *testing.T) {
	b := AppendMeasurement(nil, "water tank,1")
	b = AppendTag(b, "de vice", Clean("a=b,c\\d\n"))
	b = AppendFieldSep(b, 0)
	b = AppendString(b, "msg", "say \"hi\"\\\nnow")
	b = AppendFieldSep(b, 1)
	b = AppendFloat(b, "level", 0.5)
	b = AppendFieldSep(b, 2)
	b = AppendBool(b, "on", true)
	b = AppendTime(b, 42)
	want := `water\ tank\,1,de\ vice=a\=b\,c/d_ msg="say \"hi\"\\ now",level=0.5,on=true 42`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestInRangeIsInfluxDBs(t *testing.T) {
	for ns, want := range map[int64]bool{math.MinInt64: false, math.MinInt64 + 1: false, MinNano: true, 0: true, MaxNano: true, math.MaxInt64: false} {
		if got := InRange(time.Unix(0, ns)); got != want {
			t.Errorf("InRange(%d) = %v, want %v", ns, got, want)
		}
	}
}

// FuzzLine writes a line of arbitrary names and values and reads it back
// with InfluxData's own parser: one point, the cleaned names, the string
// as written (control characters as spaces), the number and the time.
func FuzzLine(f *testing.F) {
	f.Add("tank", "device", "t-1", "msg", "hello", 1.5, int64(1))
	f.Add("a b,c", "k=1", `d\`, "m,=", "say \"hi\"\\\n", math.Inf(1), int64(-5))
	f.Fuzz(func(t *testing.T, meas, key, val, fkey, str string, num float64, ns int64) {
		meas, key, val, fkey = Clean(meas), Clean(key), Clean(val), Clean(fkey)
		if meas == "" || meas[0] == '#' || key == "" || val == "" || fkey == "" || fkey == "n" || math.IsNaN(num) || math.IsInf(num, 0) || ns < MinNano || ns > MaxNano {
			t.Skip()
		}
		b := AppendMeasurement(nil, meas)
		b = AppendTag(b, key, val)
		b = AppendFieldSep(b, 0)
		b = AppendString(b, fkey, str)
		b = AppendFieldSep(b, 1)
		b = AppendFloat(b, "n", num)
		b = AppendTime(b, ns)
		ms, err := lp.NewParser(lp.NewMetricHandler()).Parse(b)
		if err != nil || len(ms) != 1 {
			t.Fatalf("line %q: %v (%d points)", b, err, len(ms))
		}
		m := ms[0]
		if m.Name() != meas || m.Time().UnixNano() != ns || len(m.TagList()) != 1 || m.TagList()[0].Key != key || m.TagList()[0].Value != val {
			t.Fatalf("line %q read back as %q %v %d", b, m.Name(), m.TagList(), m.Time().UnixNano())
		}
		fields := map[string]any{}
		for _, fl := range m.FieldList() {
			fields[fl.Key] = fl.Value
		}
		if fields["n"] != num || len(fields) != 2 {
			t.Fatalf("line %q: fields %v, want n = %v", b, fields, num)
		}
	})
}
