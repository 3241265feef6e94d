package latest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"facmon/collectors"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func pt(dev, sig string, v float64, at time.Duration) collectors.Point {
	return collectors.Point{Site: "demo", Area: "pump-room", Kind: "water_tank", Device: dev, Signal: sig, Value: v, Time: t0.Add(at)}
}

func TestLatestWinsAndLateValuesDoNot(t *testing.T) {
	tb := New()
	tb.Update([]collectors.Point{pt("t1", "level", 1, 0), pt("t1", "level", 2, time.Second)})
	tb.Update([]collectors.Point{pt("t1", "level", 9, 500*time.Millisecond)}) // late
	v, ok := tb.Get("t1", "level")
	if !ok || v.Value != 2 {
		t.Fatalf("got %+v, want value 2", v)
	}
}

func TestTrendIsDownsampledAndCapped(t *testing.T) {
	tb := New()
	for i := range 3 * TrendLen * 30 { // one point a second for 3 trend lengths
		tb.Update([]collectors.Point{pt("t1", "level", float64(i), time.Duration(i)*time.Second)})
	}
	v, _ := tb.Get("t1", "level")
	if len(v.Trend) != TrendLen {
		t.Fatalf("trend has %d samples, want %d", len(v.Trend), TrendLen)
	}
	for i := 1; i < len(v.Trend); i++ {
		if d := v.Trend[i].Time.Sub(v.Trend[i-1].Time); d != TrendStep {
			t.Fatalf("sample %d spaced %v, want %v", i, d, TrendStep)
		}
	}
	if last := v.Trend[len(v.Trend)-1].Value; last < float64(3*TrendLen*30-31) {
		t.Fatalf("last trend sample %v is not the newest", last)
	}
}

func TestHandlerFilters(t *testing.T) {
	tb := New()
	tb.Update([]collectors.Point{pt("t1", "level", 1, 0), pt("t2", "level", 2, 0), pt("t2", "temp", 3, 0)})
	rec := httptest.NewRecorder()
	tb.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/signals?device=t2", nil))
	var body struct{ Signals []Value }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Signals) != 2 || body.Signals[0].Signal != "level" || body.Signals[1].Signal != "temp" {
		t.Fatalf("got %+v", body.Signals)
	}
	rec = httptest.NewRecorder()
	tb.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/signals", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST got %d", rec.Code)
	}
}
