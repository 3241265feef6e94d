package selfcheck

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	var w window
	const span = 60 * time.Second
	for _, step := range []struct {
		sec  int
		v    float64
		want float64
	}{
		{0, 1230, 1230}, // drops made while facmon was away: reported once
		{10, 1230, 1230},
		{61, 1230, 0}, // nothing new in the last minute
		{70, 1300, 70},
		{80, 5, 75}, // the broker restarted: its counter began again
		{141, 5, 0},
	} {
		w.add(at(step.sec), step.v)
		if got := w.in(at(step.sec), span); got != step.want {
			t.Fatalf("at %ds: %v, want %v", step.sec, got, step.want)
		}
	}
	if len(w.samples) > 3 {
		t.Fatalf("window keeps %d samples", len(w.samples))
	}
}
