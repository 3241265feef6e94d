package rulestest

import (
	"strings"
	"testing"

	"facmon/collectors"
)

func TestParseSeries(t *testing.T) {
	v := func(xs ...float64) []Step {
		out := make([]Step, len(xs))
		for i, x := range xs {
			out[i] = Step{Value: x}
		}
		return out
	}
	cases := []struct {
		name, in string
		want     []Step
	}{
		{"plain values", "1.5 1.4 1.3", v(1.5, 1.4, 1.3)},
		{"increasing run is n+1 values", "0+0.5x3", v(0, 0.5, 1, 1.5)},
		{"decreasing run", "5-1x3", v(5, 4, 3, 2)},
		{"repeat", "2x2", v(2, 2, 2)},
		{"negative start", "-1+1x2", v(-1, 0, 1)},
		{"exponent", "1e-3x1", v(0.001, 0.001)},
		{"exponent with increment", "1e-3+1e-3x1", v(0.001, 0.002)},
		{"missing", "1 _ 2", []Step{{Value: 1}, {Kind: Missing}, {Value: 2}}},
		{"missing run is n steps", "_x2", []Step{{Kind: Missing}, {Kind: Missing}}},
		{"booleans", "true false", []Step{{Value: 1, Bool: true}, {Value: 0, Bool: true}}},
		{"status markers", "offline stale fault online", []Step{
			{Kind: Status, Status: collectors.Offline}, {Kind: Status, Status: collectors.Offline},
			{Kind: Status, Status: collectors.Fault}, {Kind: Status, Status: collectors.Online}}},
		{"empty", "  ", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseSeries(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("step %d: got %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestParseSeriesErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"word", "1 high", `token 2 "high": "high" is not a number`},
		{"bad count", "1x-2", `repeat count "-2"`},
		{"huge count", "1x99999999999", "repeat count"},
		{"too long", "1x60000 1x60000", "series longer than"},
		{"infinite", "1e999", "is not a number"},
		{"NaN", "NaN", "is not a number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSeries(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
		})
	}
}

// FuzzParseSeries: the series notation never panics, and never expands
// beyond maxSteps. Seeds: testdata/fuzz/FuzzParseSeries.
func FuzzParseSeries(f *testing.F) {
	f.Add("1.5 1.4 0+0.1x30 _ _x3 stale offline online true 5-1x3")
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := ParseSeries(s)
		if err == nil && len(steps) > maxSteps {
			t.Fatalf("%d steps", len(steps))
		}
	})
}
