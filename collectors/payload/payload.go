// Package payload decodes the bodies of MQTT messages that devices publish:
// JSON objects (values found by dotted paths), plain numbers and booleans,
// and InfluxDB line protocol. Every decoder treats its input as untrusted:
// it validates the whole payload, never panics, and returns a typed *Error
// instead of a guessed value. The package knows nothing about topics,
// devices or the site file, so it can be fuzzed on its own.
package payload

import (
	"errors"
	"fmt"
)

// Kind is the type of a decoded scalar.
type Kind uint8

// Scalar kinds.
const (
	// Null is JSON null; it carries no value.
	Null Kind = iota
	// Number is a finite float64 in Num.
	Number
	// Bool is a boolean in Bool.
	Bool
	// String is text in Str (state names, timestamps, numeric strings).
	String
)

// String returns the kind's name, or "unknown".
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Number:
		return "number"
	case Bool:
		return "bool"
	case String:
		return "string"
	}
	return "unknown"
}

// Scalar is one decoded value. Str may alias the decoder's buffer: copy it
// to keep it past the callback that received it.
type Scalar struct {
	Kind Kind
	Num  float64
	Bool bool
	Str  []byte
}

// Reason classifies a payload error; it is the reason label of
// facmon_mqtt_payload_errors_total, so the set is small and fixed.
type Reason string

// Reasons a payload is refused.
const (
	// Syntax: the payload is not valid in its format.
	Syntax Reason = "syntax"
	// Range: a number is out of range (overflow, NaN, Inf).
	Range Reason = "range"
	// Type: a value has the wrong type for its signal (text for a number).
	Type Reason = "type"
	// Missing: the payload lacks the value it must carry.
	Missing Reason = "missing"
	// State: a text value that is none of the signal's state names.
	State Reason = "state"
	// Time: the device timestamp is malformed.
	Time Reason = "time"
	// TooDeep: JSON nesting beyond MaxDepth.
	TooDeep Reason = "too_deep"
)

// Error is a refused payload: why, and the byte offset where decoding
// stopped (-1 when it does not apply).
type Error struct {
	Reason Reason
	Offset int
	Msg    string
}

// Error returns "reason at byte N: msg".
func (e *Error) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("%s: %s", e.Reason, e.Msg)
	}
	return fmt.Sprintf("%s at byte %d: %s", e.Reason, e.Offset, e.Msg)
}

func errAt(r Reason, off int, format string, args ...any) *Error {
	return &Error{Reason: r, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// ReasonOf returns the Reason of a payload error anywhere in err's chain,
// or Syntax for any other error.
func ReasonOf(err error) Reason {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return Syntax
}
