package inspect

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseUnits reads a unit list: "1", "1-10", "1,3,5-7" (0..247, no
// repeats, at most 248 units).
func ParseUnits(s string) ([]byte, error) {
	var out []byte
	seen := [256]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := unitNumber(lo)
		if err != nil {
			return nil, fmt.Errorf("units %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = unitNumber(hi); err != nil {
				return nil, fmt.Errorf("units %q: %w", s, err)
			}
		}
		if b < a {
			return nil, fmt.Errorf("units %q: range %d-%d runs backwards", s, a, b)
		}
		for u := a; u <= b; u++ {
			if !seen[u] {
				seen[u] = true
				out = append(out, byte(u))
			}
		}
	}
	return out, nil
}

// unitNumber reads one unit id, 0..247 (Modbus: 248..255 are reserved).
func unitNumber(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 247 {
		return 0, fmt.Errorf("unit %q: want 0..247", s)
	}
	return n, nil
}
