package payload

import (
	"bytes"
	"unicode/utf8"
)

// MaxText is the longest text a plain payload may carry as a state name.
const MaxText = 64

// Plain decodes a plain payload: a number ("1", "-0.5", "+2e3"), a boolean
// (true/false, on/off, yes/no in any case), or a short word that a state
// signal maps to a number ("open"). Surrounding white space is ignored.
// Anything else — empty, binary, NaN, Inf, hex — is an error.
func Plain(b []byte) (Scalar, error) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return Scalar{}, errAt(Missing, -1, "empty payload")
	}
	if c := t[0]; c == '-' || c == '+' || (c >= '0' && c <= '9') {
		return plainNumber(t)
	}
	if v, ok := boolWord(t); ok {
		return Scalar{Kind: Bool, Bool: v}, nil
	}
	if len(t) > MaxText || !utf8.Valid(t) || bytes.ContainsFunc(t, isControl) {
		return Scalar{}, errAt(Syntax, -1, "neither a number, a boolean nor a state word")
	}
	return Scalar{Kind: String, Str: t}, nil
}

func plainNumber(t []byte) (Scalar, error) {
	end, ok := scanNumber(t, 0, true)
	if !ok || end != len(t) {
		return Scalar{}, errAt(Syntax, end, "malformed number")
	}
	v, err := parseFloat(t, 0)
	if err != nil {
		return Scalar{}, err
	}
	return Scalar{Kind: Number, Num: v}, nil
}

// boolWord recognises the boolean words devices publish.
func boolWord(t []byte) (value, ok bool) {
	if len(t) > 5 {
		return false, false
	}
	var low [5]byte
	for i, c := range t {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	switch string(low[:len(t)]) {
	case "true", "on", "yes":
		return true, true
	case "false", "off", "no":
		return false, true
	}
	return false, false
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
