package report

import (
	"testing"
	"time"
)

// FuzzParseID: a period id from a URL either fails or names a whole day
// or a whole week (starting Monday) at midnight in the site's zone, and
// its ID reads back to the same period.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"2026-12-05", "week-2026-12-05", "week-", "2026-02-30", "0000-01-01", "week-9999-12-31", "2026-12-05/../x"} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("America/New_York") // with daylight saving
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id string) {
		p, err := ParseID(id, loc)
		if err != nil {
			return
		}
		if !p.Start.Before(p.End) {
			t.Fatalf("%q: start %v not before end %v", id, p.Start, p.End)
		}
		if h, m, s := p.Start.Clock(); h+m+s != 0 {
			t.Fatalf("%q: starts at %v, not midnight", id, p.Start)
		}
		days := 1
		if p.Kind == KindWeek {
			days = 7
			if p.Start.Weekday() != time.Monday {
				t.Fatalf("%q: week starts on %v", id, p.Start.Weekday())
			}
		}
		if !p.End.Equal(p.Start.AddDate(0, 0, days)) {
			t.Fatalf("%q: %v–%v is not %d days", id, p.Start, p.End, days)
		}
		q, err := ParseID(p.ID(), loc)
		if err != nil || !q.Start.Equal(p.Start) || !q.End.Equal(p.End) || q.Kind != p.Kind {
			t.Fatalf("%q: ID %q reads back as %+v, %v", id, p.ID(), q, err)
		}
	})
}
