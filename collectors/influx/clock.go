package influx

import (
	"math/rand/v2"
	"time"
)

// Clock is the time source of the sender's timers: the flush interval and
// the retry backoff. Tests inject a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// backoff is the delay before retry number attempt (0-based): exponential
// from lo, capped at hi, with jitter (a uniform draw in [d/2, d]) so
// that many facmon sites do not hammer a recovering central InfluxDB in
// step. A server's Retry-After, if longer, wins.
func backoff(attempt int, lo, hi, retryAfter time.Duration, r *rand.Rand) time.Duration {
	d := hi
	if attempt < 32 {
		d = min(lo<<attempt, hi)
	}
	if d > 1 {
		d = d/2 + time.Duration(r.Int64N(int64(d/2)+1))
	}
	return max(d, retryAfter)
}
