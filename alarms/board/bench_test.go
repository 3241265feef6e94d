package board

import (
	"context"
	"fmt"
	"testing"

	"facmon/alarms"
)

// BenchmarkList: GET /api/v1/alarms's work with 1,000 alarms on the board.
func BenchmarkList(b *testing.B) {
	bd := New(Options{})
	for i := range 1000 {
		_ = bd.Transitions(context.Background(), []alarms.Transition{
			raised("r", fmt.Sprint("d", i), alarms.Severity(1+i%4), i%60)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(bd.Alarms(ListFilter{})) != 1000 {
			b.Fatal("lost alarms")
		}
	}
}

// BenchmarkTransitions: applying one raise and its clear.
func BenchmarkTransitions(b *testing.B) {
	bd := New(Options{})
	r := raised("r", "d", alarms.Major, 0)
	c := next(next(r, alarms.Ack, 1, "op"), alarms.Clear, 2, "")
	ts := []alarms.Transition{r, c}
	b.ReportAllocs()
	for b.Loop() {
		_ = bd.Transitions(context.Background(), ts)
	}
}
