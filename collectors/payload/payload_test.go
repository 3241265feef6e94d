package payload

import (
	"errors"
	"testing"
	"time"
)

type leaf struct {
	path string
	s    Scalar
}

func walk(t *testing.T, in string) ([]leaf, error) {
	t.Helper()
	var got []leaf
	err := WalkJSON([]byte(in), func(p []byte, s Scalar) {
		s.Str = append([]byte(nil), s.Str...)
		got = append(got, leaf{string(p), s})
	})
	return got, err
}

func TestWalkJSON(t *testing.T) {
	num := func(v float64) Scalar { return Scalar{Kind: Number, Num: v} }
	str := func(v string) Scalar { return Scalar{Kind: String, Str: []byte(v)} }
	tests := []struct {
		name string
		in   string
		want []leaf
	}{
		{"flat object", `{"level": 2.5, "run": true, "mode": "auto"}`,
			[]leaf{{"level", num(2.5)}, {"run", Scalar{Kind: Bool, Bool: true}}, {"mode", str("auto")}}},
		{"nested", `{"data":{"level":-1e2,"n":null}}`,
			[]leaf{{"data.level", num(-100)}, {"data.n", Scalar{Kind: Null}}}},
		{"array", `{"v":[1,[2]]}`, []leaf{{"v.0", num(1)}, {"v.1.0", num(2)}}},
		{"top-level number", ` 42 `, []leaf{{"", num(42)}}},
		{"escaped key and value", `{"a\u002eb":"x\"y"}`, []leaf{{"a.b", str(`x"y`)}}},
		{"empty containers", `{"a":{},"b":[]}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := walk(t, tc.in)
			if err != nil {
				t.Fatalf("WalkJSON(%s): %v", tc.in, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d leaves %v, want %v", len(got), got, tc.want)
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if g.path != w.path || g.s.Kind != w.s.Kind || g.s.Num != w.s.Num || g.s.Bool != w.s.Bool || string(g.s.Str) != string(w.s.Str) {
					t.Errorf("leaf %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestWalkJSONRefuses(t *testing.T) {
	deep := ""
	for range MaxDepth + 2 {
		deep += "["
	}
	tests := []struct {
		name   string
		in     string
		reason Reason
	}{
		{"empty", ``, Syntax},
		{"truncated", `{"level": 2.`, Syntax},
		{"trailing data", `{"a":1} x`, Syntax},
		{"trailing comma", `{"a":1,}`, Syntax},
		{"leading zero", `{"a":01}`, Syntax},
		{"NaN", `{"a":NaN}`, Syntax},
		{"overflow", `{"a":1e400}`, Range},
		{"control char", "{\"a\":\"x\ny\"}", Syntax},
		{"bad escape", `{"a":"\x"}`, Syntax},
		{"too deep", deep, TooDeep},
		{"single quotes", `{'a':1}`, Syntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := walk(t, tc.in)
			if err == nil {
				t.Fatalf("WalkJSON(%q) = %v, want error", tc.in, got)
			}
			if len(got) != 0 {
				t.Errorf("leaves reported before the error: %v", got)
			}
			if r := ReasonOf(err); r != tc.reason {
				t.Errorf("reason = %s (%v), want %s", r, err, tc.reason)
			}
		})
	}
}

func TestPlain(t *testing.T) {
	tests := []struct {
		in   string
		want Scalar
		err  Reason
	}{
		{"1", Scalar{Kind: Number, Num: 1}, ""},
		{" 0.5\n", Scalar{Kind: Number, Num: 0.5}, ""},
		{"-2e3", Scalar{Kind: Number, Num: -2000}, ""},
		{"+7", Scalar{Kind: Number, Num: 7}, ""},
		{"true", Scalar{Kind: Bool, Bool: true}, ""},
		{"ON", Scalar{Kind: Bool, Bool: true}, ""},
		{"Off", Scalar{Kind: Bool}, ""},
		{"no", Scalar{Kind: Bool}, ""},
		{"open", Scalar{Kind: String, Str: []byte("open")}, ""},
		{"", Scalar{}, Missing},
		{"NaN", Scalar{Kind: String, Str: []byte("NaN")}, ""}, // a word, never a number
		{"Inf", Scalar{Kind: String, Str: []byte("Inf")}, ""},
		{"1e999", Scalar{}, Range},
		{"0x10", Scalar{}, Syntax},
		{"1_000", Scalar{}, Syntax},
		{"12 13", Scalar{}, Syntax},
		{"\x00\x01", Scalar{}, Syntax},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Plain([]byte(tc.in))
			if tc.err != "" {
				if err == nil || ReasonOf(err) != tc.err {
					t.Fatalf("Plain(%q) = %+v, %v; want %s error", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plain(%q): %v", tc.in, err)
			}
			if got.Kind != tc.want.Kind || got.Num != tc.want.Num || got.Bool != tc.want.Bool || string(got.Str) != string(tc.want.Str) {
				t.Errorf("Plain(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   Scalar
		want time.Time
	}{
		{"seconds", Scalar{Kind: Number, Num: float64(want.Unix())}, want},
		{"fractional seconds", Scalar{Kind: Number, Num: float64(want.Unix()) + 0.25}, want.Add(250 * time.Millisecond)},
		{"milliseconds", Scalar{Kind: Number, Num: float64(want.UnixMilli())}, want},
		{"microseconds", Scalar{Kind: Number, Num: float64(want.UnixMicro())}, want},
		{"nanoseconds", Scalar{Kind: Number, Num: float64(want.UnixNano())}, want},
		{"numeric string", Scalar{Kind: String, Str: []byte("1795755600000")}, want},
		{"RFC 3339", Scalar{Kind: String, Str: []byte("2026-11-27T13:00:00+08:00")}, want},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTime(tc.in)
			if err != nil {
				t.Fatalf("ParseTime: %v", err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("ParseTime = %v, want %v", got.UTC(), tc.want)
			}
		})
	}
	for _, bad := range []Scalar{{Kind: Number, Num: -1}, {Kind: Bool}, {Kind: String, Str: []byte("yesterday")}, {Kind: Number, Num: 1e300}} {
		if _, err := ParseTime(bad); ReasonOf(err) != Time {
			t.Errorf("ParseTime(%+v) error = %v, want a Time error", bad, err)
		}
	}
}

func TestLineProtocol(t *testing.T) {
	in := "water_tank,device=tank-1,area=pump\\ room level=2.5,pump=t,n=3i,u=4u,msg=\"a \\\"b\\\"\" 1795755600000000000\n# comment\n\nbin fill=0.5\n"
	lines, err := LineProtocol([]byte(in))
	if err != nil {
		t.Fatalf("LineProtocol: %v", err)
	}
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	l := lines[0]
	if l.Measurement != "water_tank" || l.Tag("device") != "tank-1" || l.Tag("area") != "pump room" {
		t.Errorf("line 1 head = %q %v", l.Measurement, l.Tags)
	}
	want := []Field{{"level", Scalar{Kind: Number, Num: 2.5}}, {"pump", Scalar{Kind: Bool, Bool: true}},
		{"n", Scalar{Kind: Number, Num: 3}}, {"u", Scalar{Kind: Number, Num: 4}}, {"msg", Scalar{Kind: String, Str: []byte(`a "b"`)}}}
	for i, f := range want {
		g := l.Fields[i]
		if g.Key != f.Key || g.Value.Kind != f.Value.Kind || g.Value.Num != f.Value.Num || g.Value.Bool != f.Value.Bool || string(g.Value.Str) != string(f.Value.Str) {
			t.Errorf("field %d = %+v, want %+v", i, g, f)
		}
	}
	if l.Time.UnixNano() != 1795755600000000000 {
		t.Errorf("time = %v", l.Time)
	}
	if !lines[1].Time.IsZero() || lines[1].Measurement != "bin" {
		t.Errorf("line 2 = %+v", lines[1])
	}
}

func TestLineProtocolRefuses(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"no fields", "tank level"},
		{"no field value", "tank level="},
		{"bad number", "tank level=1.2.3"},
		{"bad integer", "tank n=1.5i"},
		{"unterminated string", `tank s="abc`},
		{"bad timestamp", "tank level=1 12:00"},
		{"trailing junk", "tank level=1 1 2"},
		{"NaN", "tank level=NaN"},
		{"empty tag value", "tank,device= level=1"},
		{"one bad line of two", "tank level=1\ntank level=x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LineProtocol([]byte(tc.in))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("LineProtocol(%q) = %+v, %v; want *Error", tc.in, got, err)
			}
		})
	}
}
