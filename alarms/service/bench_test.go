package service

import (
	"context"
	"fmt"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/journal"
)

// BenchmarkHistory answers a history request over a full journal (10,000
// transition records, the default cap): the newest 1,000 (the default
// limit), and a device filter that matches 1 in 100 and so reads them all.
func BenchmarkHistory(b *testing.B) {
	dir := b.TempDir()
	j, err := journal.Open(journal.Options{Dir: dir, VerifyInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	var recs []journal.Record
	for i := range journal.DefaultMaxRecords {
		at := t0.Add(time.Duration(i) * time.Second)
		tr := alarms.Transition{ID: alarms.AlarmID("intrusion", fmt.Sprintf("pz-%02d", i%100), at), Rule: "intrusion",
			Device: fmt.Sprintf("pz-%02d", i%100), Severity: alarms.Critical, Message: "周界报警", Change: alarms.Raise,
			Time: at, ActiveSince: at, To: alarms.ActiveUnacked}
		r, err := journal.FromTransition(tr)
		if err != nil {
			b.Fatal(err)
		}
		r.Time = at
		recs = append(recs, r)
	}
	if _, err := j.Append(context.Background(), recs...); err != nil {
		b.Fatal(err)
	}
	s := &Service{o: Options{JournalRecords: journal.DefaultMaxRecords}, journal: j}
	for _, c := range []struct {
		name string
		q    board.HistoryQuery
	}{
		{"newest-1000", board.HistoryQuery{Limit: board.DefaultHistoryLimit}},
		{"one-device", board.HistoryQuery{Device: []string{"pz-07"}, Limit: board.DefaultHistoryLimit}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := s.History(context.Background(), c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
