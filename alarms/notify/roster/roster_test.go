package roster

import (
	"strings"
	"testing"
	"time"

	"facmon/internal/site"
)

func testNotify() *site.Notify {
	return &site.Notify{
		People: []site.Person{{ID: "day1"}, {ID: "day2"}, {ID: "night1"}, {ID: "boss"}, {ID: "weekend"}},
		Groups: []site.Group{{ID: "day-team", Members: []string{"day1", "day2"}}},
		Shifts: []site.Shift{
			{Name: "day", Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "20:00",
				Levels: [][]string{{"day-team"}, {"boss"}}},
			{Name: "night", Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "20:00", To: "08:00",
				Levels: [][]string{{"night1"}, {"boss"}}},
			{Name: "weekend", Days: []string{"sat", "sun"}, Levels: [][]string{{"weekend"}, {"boss"}, {"day1", "boss"}}},
		},
		Routes: []site.Route{
			{Severities: []string{"critical"}, Receivers: []string{"am"}, Duty: true, Continue: true},
			{Kinds: []string{"perimeter_zone"}, Areas: []string{"north"}, People: []string{"boss"}},
			{Receivers: []string{"log-hook"}},
		},
	}
}

func names(ps []Person) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.ID)
	}
	return strings.Join(s, ",")
}

func TestOnDuty(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	r, err := New(testNotify(), sh)
	if err != nil {
		t.Fatal(err)
	}
	// 2026-11-23 is a Monday.
	at := func(day, hh, mm int) time.Time { return time.Date(2026, 11, day, hh, mm, 0, 0, sh) }
	tests := []struct {
		name  string
		t     time.Time
		level int
		want  string
	}{
		{"monday morning, level 1 is the day team", at(23, 9, 0), 1, "day1,day2"},
		{"monday morning, level 2", at(23, 9, 0), 2, "boss"},
		{"past the last level repeats the last", at(23, 9, 0), 5, "boss"},
		{"day shift ends at 20:00", at(23, 20, 0), 1, "night1"},
		{"night shift runs past midnight", at(24, 3, 0), 1, "night1"},
		{"friday night into saturday morning", at(28, 7, 59), 1, "night1"},
		{"saturday 08:00 is the weekend", at(28, 8, 0), 1, "weekend"},
		{"monday 07:00 after sunday: nobody (night starts on weekdays)", at(23, 7, 0), 1, ""},
		{"weekend level 3 lists two", at(29, 12, 0), 3, "day1,boss"},
		{"UTC input is read in site time", at(23, 9, 0).UTC(), 1, "day1,day2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(r.OnDuty(tt.t, tt.level)); got != tt.want {
				t.Errorf("OnDuty(%s, %d) = %q, want %q", tt.t, tt.level, got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	r := NewRouter(testNotify())
	tests := []struct {
		name, sev, kind, area string
		want                  string
	}{
		{"critical continues to the catch-all", "critical", "pump", "x", "am,log-hook duty=true people="},
		{"perimeter north goes to boss and stops", "major", "perimeter_zone", "north", " duty=false people=boss"},
		{"critical perimeter north", "critical", "perimeter_zone", "north", "am duty=true people=boss"},
		{"anything else", "minor", "pump", "south", "log-hook duty=false people="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := r.Match(tt.sev, tt.kind, tt.area)
			got := strings.Join(p.Receivers, ",") + " duty=" + map[bool]string{true: "true", false: "false"}[p.Duty] + " people=" + strings.Join(p.People, ",")
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
