package testsupport

import (
	"os"
	"testing"
	"time"
)

// StartEnv names the environment variable that sets the simulated start
// time of day ("HH:MM", site time) of the tests that run the simulator or
// the demo. .ci/run runs them at two hours twelve hours apart; unset, it
// is DefaultStart. No test reads the hour from the machine's clock.
const StartEnv = "FACMON_TEST_START"

// DefaultStart is the simulated start time of day when StartEnv is unset.
const DefaultStart = "12:00"

// SimStartClock is the simulated start time of day, "HH:MM", as
// `facmon demo --start` and `facmon simulate --start` take it.
func SimStartClock(t testing.TB) string {
	t.Helper()
	v := os.Getenv(StartEnv)
	if v == "" {
		v = DefaultStart
	}
	if _, err := time.Parse("15:04", v); err != nil {
		t.Fatalf("%s=%q: want HH:MM", StartEnv, v)
	}
	return v
}

// SimStart is the simulated start as a time in the site's time zone loc,
// on a fixed day (Tuesday 10 March 2026) so that tests do not depend on
// the date either.
func SimStart(t testing.TB, loc *time.Location) time.Time {
	t.Helper()
	hm, _ := time.Parse("15:04", SimStartClock(t))
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(2026, 3, 10, hm.Hour(), hm.Minute(), 0, 0, loc)
}
