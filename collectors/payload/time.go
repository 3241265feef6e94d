package payload

import (
	"math"
	"strconv"
	"time"
)

// Epoch magnitudes: below 1e11 a number is seconds (until year 5138),
// below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds.
const (
	maxSeconds = 1e11
	maxMillis  = 1e14
	maxMicros  = 1e17
)

// ParseTime turns a device timestamp into a time: a number of seconds,
// milliseconds, microseconds or nanoseconds since the Unix epoch (told
// apart by magnitude), the same as a numeric string, or an RFC 3339 string.
// Negative, non-finite and out-of-range values are Time errors.
func ParseTime(s Scalar) (time.Time, error) {
	switch s.Kind {
	case Number:
		return epoch(s.Num)
	case String:
		if end, ok := scanNumber(s.Str, 0, false); ok && end == len(s.Str) {
			v, err := strconv.ParseFloat(string(s.Str), 64)
			if err != nil {
				return time.Time{}, errAt(Time, -1, "timestamp %.40q out of range", s.Str)
			}
			return epoch(v)
		}
		t, err := time.Parse(time.RFC3339Nano, string(s.Str))
		if err != nil {
			return time.Time{}, errAt(Time, -1, "timestamp %.40q is neither RFC 3339 nor a Unix epoch", s.Str)
		}
		return t, nil
	}
	return time.Time{}, errAt(Time, -1, "timestamp is a %s", s.Kind)
}

func epoch(v float64) (time.Time, error) {
	if !(v > 0) || v >= math.MaxInt64 {
		return time.Time{}, errAt(Time, -1, "epoch timestamp %g out of range", v)
	}
	perSecond := 1e9
	switch {
	case v < maxSeconds:
		perSecond = 1
	case v < maxMillis:
		perSecond = 1e3
	case v < maxMicros:
		perSecond = 1e6
	}
	if v == math.Trunc(v) && v < 1<<53 {
		// Exact for integers: no rounding through a float fraction.
		n := int64(v)
		p := int64(perSecond)
		return time.Unix(n/p, (n%p)*(1e9/p)), nil
	}
	sec, frac := math.Modf(v / perSecond)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}
