package influxout

import (
	"math"
	"testing"
	"time"

	lp "github.com/influxdata/line-protocol"

	"facmon/alarms"
	"facmon/internal/lineproto"
)

func lineTime(t *testing.T, l []byte) int64 {
	t.Helper()
	ms, err := lp.NewParser(lp.NewMetricHandler()).Parse(l)
	if err != nil || len(ms) != 1 {
		t.Fatalf("line %q does not parse: %v", l, err)
	}
	return ms[0].Time().UnixNano()
}

// FuzzEncode encodes an arbitrary transition and checks, with InfluxData's
// own line-protocol parser, that it is one line carrying exactly the
// cleaned tags, the fields and the time.
func FuzzEncode(f *testing.F) {
	f.Add("demo", "north", "water_tank", "tank-1", "tank-low", "low: 0.8 m", "篇3·十六·3", "", 0.8, int64(1795766400000000000), uint8(1), uint8(2))
	f.Add("a b", "x,y", "k=1", `d\`, "r\n", "say \"hi\"\\\n", "c", "张三", math.Inf(1), int64(-5), uint8(3), uint8(9))
	f.Fuzz(func(t *testing.T, site, area, kind, device, rule, msg, cite, by string, v float64, ns int64, change, sev uint8) {
		tr := alarms.Transition{ID: rule + "/" + device, Site: site, Area: area, Kind: kind, Device: device, Rule: rule,
			Message: msg, Cite: cite, By: by, Value: v, Time: time.Unix(0, ns), ActiveSince: time.Unix(0, ns/2),
			Change: alarms.Change(change % 5), Severity: alarms.Severity(sev % 6), To: alarms.ActiveUnacked}
		e := newEncoder()
		l, ok := e.line(&tr)
		if ok != lineproto.InRange(tr.Time) {
			t.Fatalf("time %d: encoded %v, but InfluxDB's range says %v", ns, ok, !ok)
		}
		if !ok {
			return
		}
		ms, err := lp.NewParser(lp.NewMetricHandler()).Parse(l)
		if err != nil || len(ms) != 1 {
			t.Fatalf("line %q does not parse: %v (%d metrics)", l, err, len(ms))
		}
		m := ms[0]
		if m.Name() != Measurement || m.Time().UnixNano() != ns {
			t.Fatalf("line %q: measurement %q time %d", l, m.Name(), m.Time().UnixNano())
		}
		checkTags(t, m, tr, l)
		checkFields(t, m, tr, l)
	})
}

func checkTags(t *testing.T, m lp.Metric, tr alarms.Transition, l []byte) {
	t.Helper()
	got := map[string]string{}
	for _, tag := range m.TagList() {
		got[tag.Key] = tag.Value
	}
	for k, v := range map[string]string{"site": tr.Site, "area": tr.Area, "kind": tr.Kind, "device": tr.Device,
		"rule": tr.Rule, "severity": tr.Severity.String()} {
		if got[k] != lineproto.Clean(v) {
			t.Fatalf("line %q: tag %s = %q, want %q", l, k, got[k], lineproto.Clean(v))
		}
	}
}

func checkFields(t *testing.T, m lp.Metric, tr alarms.Transition, l []byte) {
	t.Helper()
	fs := map[string]any{}
	for _, f := range m.FieldList() {
		fs[f.Key] = f.Value
	}
	if fs["change"] != tr.Change.String() {
		t.Fatalf("line %q: change = %v", l, fs["change"])
	}
	for k, v := range map[string]string{"message": tr.Message, "cite": tr.Cite, "by": tr.By} {
		if want := fieldText(v); want != "" && fs[k] != want {
			t.Fatalf("line %q: field %s = %q, want %q", l, k, fs[k], want)
		}
	}
	finite := !math.IsNaN(tr.Value) && !math.IsInf(tr.Value, 0)
	if got, ok := fs["value"]; ok != finite || (ok && got != tr.Value) {
		t.Fatalf("line %q: value %v (present %v), want %v", l, got, ok, tr.Value)
	}
}

// fieldText is what a string field reads back as.
func fieldText(s string) string {
	b := lineproto.AppendString(nil, "", s)
	out := make([]byte, 0, len(b))
	for i := 2; i < len(b)-1; i++ {
		if b[i] == '\\' {
			i++
		}
		out = append(out, b[i])
	}
	return string(out)
}
