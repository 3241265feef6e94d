package payload

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"level":2.5,"run":true,"mode":"auto","ts":1795755600}`, `{"a":{"b":[1,2,{"c":null}]}}`,
		`-0.0e+1`, `"\ud83d\ude00"`, `{"a":1e400}`, `[[[[]]]]`, `{"a":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var leaves int
		err := WalkJSON(b, func(_ []byte, s Scalar) {
			leaves++
			if s.Kind == Number && (math.IsNaN(s.Num) || math.IsInf(s.Num, 0)) {
				t.Fatalf("non-finite number %v from %q", s.Num, b)
			}
		})
		if err == nil && !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		if err != nil && leaves > 0 {
			t.Fatalf("reported %d leaves and then failed: %v", leaves, err)
		}
		if err != nil && json.Valid(b) && ReasonOf(err) == Syntax {
			t.Fatalf("refused valid JSON %q: %v", b, err)
		}
	})
}

func FuzzPlain(f *testing.F) {
	for _, s := range []string{"1", " 0.5 ", "true", "OFF", "open", "1e999", "+3", "-", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Plain(b)
		if err != nil {
			return
		}
		switch s.Kind {
		case Number:
			if math.IsNaN(s.Num) || math.IsInf(s.Num, 0) {
				t.Fatalf("non-finite %v from %q", s.Num, b)
			}
		case String:
			if len(s.Str) == 0 || len(s.Str) > MaxText || !bytes.Equal(s.Str, bytes.TrimSpace(s.Str)) {
				t.Fatalf("bad word %q from %q", s.Str, b)
			}
		}
	})
}

func FuzzLineProtocol(f *testing.F) {
	for _, s := range []string{"water_tank,device=t1 level=2.5,run=t 1795755600000000000",
		"m\\ x,a\\=b=c\\,d f=\"q\\\"\" 1", "m f=1i,g=2u,h=F\n#c\nm f=1", "m f=", "m,t= f=1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := LineProtocol(b)
		if err != nil {
			return
		}
		for _, l := range lines {
			if l.Measurement == "" || len(l.Fields) == 0 {
				t.Fatalf("line without measurement or fields from %q: %+v", b, l)
			}
			for _, fl := range l.Fields {
				if fl.Key == "" || (fl.Value.Kind == Number && (math.IsNaN(fl.Value.Num) || math.IsInf(fl.Value.Num, 0))) {
					t.Fatalf("bad field %+v from %q", fl, b)
				}
			}
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-27T05:00:00Z", "1795755598", "1795755598123", "1795755598123456789", "-1", "1e400", "2026-13-01T00:00:00Z"} {
		f.Add([]byte(s), 1795755598.5)
	}
	f.Fuzz(func(t *testing.T, text []byte, num float64) {
		for _, s := range []Scalar{{Kind: String, Str: text}, {Kind: Number, Num: num}} {
			tm, err := ParseTime(s)
			if err == nil && (tm.IsZero() || s.Kind == Number && !tm.After(time.Unix(0, 0))) {
				t.Fatalf("ParseTime(%+v) = %v without error", s, tm)
			}
		}
	})
}
