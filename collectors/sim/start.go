package sim

import (
	"fmt"
	"time"
)

// ParseStart reads the simulated start time of `--start`: "HH:MM" is that
// time of the day of now in the site's time zone loc, anything else must be
// RFC 3339. Empty is the zero time (the clock's).
func ParseStart(text string, now time.Time, loc *time.Location) (time.Time, error) {
	if text == "" {
		return time.Time{}, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	if hm, err := time.ParseInLocation("15:04", text, loc); err == nil {
		y, m, d := now.In(loc).Date()
		return time.Date(y, m, d, hm.Hour(), hm.Minute(), 0, 0, loc), nil
	}
	t, err := time.Parse(time.RFC3339, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("start %q: want HH:MM (site time) or RFC 3339", text)
	}
	return t, nil
}
