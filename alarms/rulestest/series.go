// Package rulestest runs rule unit tests in the manner of `promtool test
// rules`: a test file names rule files and a site, gives input series per
// device and signal on a simulated clock in a compact notation, and the
// alarms expected at given times. `facmon rules test FILE...` calls Run.
package rulestest

import (
	"fmt"
	"strconv"
	"strings"

	"facmon/collectors"
)

// StepKind says what one step of a series holds.
type StepKind uint8

// Step kinds.
const (
	// Value is a reading.
	Value StepKind = iota
	// Missing is a step without a point (`_`).
	Missing
	// Status is a device-status point (`offline`, `online`, `fault`,
	// `stale` = offline).
	Status
)

// Step is one interval of a series.
type Step struct {
	Kind   StepKind
	Value  float64
	Bool   bool
	Status collectors.DeviceStatus
}

// maxSteps bounds the expansion of one series, so that `0x1e9` cannot
// exhaust memory.
const maxSteps = 100_000

// ParseSeries expands the series notation, one token per interval:
//
//	1.5 1.4 1.3     readings
//	0+0.1x30        0, 0.1, ... 3.0 (31 readings: a+bxn is n+1 values)
//	5-1x3           5 4 3 2
//	2x3             2 2 2 2
//	_  _x3          one / three intervals without a point
//	true false      boolean readings (1 / 0)
//	offline online fault stale
//	                device-status points (stale = offline)
func ParseSeries(s string) ([]Step, error) {
	var out []Step
	for i, tok := range strings.Fields(s) {
		steps, err := parseToken(tok)
		if err != nil {
			return nil, fmt.Errorf("token %d %q: %w", i+1, tok, err)
		}
		if len(out)+len(steps) > maxSteps {
			return nil, fmt.Errorf("token %d %q: series longer than %d steps", i+1, tok, maxSteps)
		}
		out = append(out, steps...)
	}
	return out, nil
}

var statuses = map[string]collectors.DeviceStatus{
	"online": collectors.Online, "offline": collectors.Offline, "stale": collectors.Offline, "fault": collectors.Fault,
}

// parseToken expands one token.
func parseToken(tok string) ([]Step, error) {
	if st, ok := statuses[tok]; ok {
		return []Step{{Kind: Status, Status: st}}, nil
	}
	switch tok {
	case "_":
		return []Step{{Kind: Missing}}, nil
	case "true":
		return []Step{{Value: 1, Bool: true}}, nil
	case "false":
		return []Step{{Value: 0, Bool: true}}, nil
	}
	head, reps, hasX := strings.Cut(tok, "x")
	if !hasX {
		v, err := parseNumber(tok)
		return []Step{{Value: v}}, err
	}
	n, err := strconv.Atoi(reps)
	if err != nil || n < 0 || n > maxSteps {
		return nil, fmt.Errorf("repeat count %q: want an integer 0–%d", reps, maxSteps)
	}
	if head == "_" {
		out := make([]Step, n)
		for i := range out {
			out[i].Kind = Missing
		}
		return out, nil
	}
	return expand(head, n)
}

// expand expands "a", "a+b" or "a-b" repeated n times (n+1 values).
func expand(head string, n int) ([]Step, error) {
	start, incr := head, "0"
	for i := len(head) - 1; i > 0; i-- {
		if (head[i] == '+' || head[i] == '-') && head[i-1] != 'e' && head[i-1] != 'E' {
			start, incr = head[:i], head[i:]
			break
		}
	}
	a, err := parseNumber(start)
	if err != nil {
		return nil, err
	}
	b, err := parseNumber(strings.TrimPrefix(incr, "+"))
	if err != nil {
		return nil, err
	}
	out := make([]Step, n+1)
	for i := range out {
		out[i] = Step{Value: a + float64(i)*b}
	}
	return out, nil
}

// parseNumber parses a finite decimal number.
func parseNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v-v != 0 {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}
