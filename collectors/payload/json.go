package payload

import (
	"encoding/json"
	"strconv"
)

// MaxDepth bounds JSON nesting so a hostile payload cannot exhaust the
// stack.
const MaxDepth = 32

// LeafFunc receives one scalar of a JSON document with its dotted path
// ("level", "data.level", "values.0"). The top-level scalar of a
// non-object document has the empty path. path and s.Str are only valid
// during the call.
type LeafFunc func(path []byte, s Scalar)

// WalkJSON validates b as exactly one JSON value (RFC 8259, strictly) and
// calls fn for every scalar in it, in document order. Nothing is reported
// unless the whole payload is valid: fn's results must be discarded when
// WalkJSON returns an error. Numbers that overflow float64 are a Range
// error, never ±Inf.
func WalkJSON(b []byte, fn LeafFunc) error {
	// First pass validates, so fn never sees a prefix of a broken payload.
	w := jsonWalker{b: b}
	if err := w.document(); err != nil {
		return err
	}
	w = jsonWalker{b: b, fn: fn, path: make([]byte, 0, 64)}
	return w.document()
}

type jsonWalker struct {
	b    []byte
	i    int
	fn   LeafFunc
	path []byte
	str  []byte // scratch for unescaped strings
}

func (w *jsonWalker) document() error {
	w.space()
	if err := w.value(0); err != nil {
		return err
	}
	w.space()
	if w.i != len(w.b) {
		return errAt(Syntax, w.i, "data after the JSON value")
	}
	return nil
}

func (w *jsonWalker) space() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

func (w *jsonWalker) value(depth int) error {
	if depth > MaxDepth {
		return errAt(TooDeep, w.i, "nesting deeper than %d", MaxDepth)
	}
	if w.i >= len(w.b) {
		return errAt(Syntax, w.i, "unexpected end of payload")
	}
	switch c := w.b[w.i]; {
	case c == '{':
		return w.object(depth)
	case c == '[':
		return w.array(depth)
	case c == '"':
		s, err := w.string()
		if err != nil {
			return err
		}
		w.leaf(Scalar{Kind: String, Str: s})
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		return w.number()
	default:
		return w.literal()
	}
}

func (w *jsonWalker) leaf(s Scalar) {
	if w.fn != nil {
		w.fn(w.path, s)
	}
}

func (w *jsonWalker) object(depth int) error {
	w.i++ // {
	w.space()
	if w.i < len(w.b) && w.b[w.i] == '}' {
		w.i++
		return nil
	}
	base := len(w.path)
	for {
		w.space()
		if w.i >= len(w.b) || w.b[w.i] != '"' {
			return errAt(Syntax, w.i, "object key expected")
		}
		key, err := w.string()
		if err != nil {
			return err
		}
		w.space()
		if w.i >= len(w.b) || w.b[w.i] != ':' {
			return errAt(Syntax, w.i, "':' expected after object key")
		}
		w.i++
		w.space()
		w.pushKey(base, key)
		if err := w.value(depth + 1); err != nil {
			return err
		}
		w.path = w.path[:base]
		if done, err := w.next('}'); done || err != nil {
			return err
		}
	}
}

func (w *jsonWalker) array(depth int) error {
	w.i++ // [
	w.space()
	if w.i < len(w.b) && w.b[w.i] == ']' {
		w.i++
		return nil
	}
	base := len(w.path)
	for n := 0; ; n++ {
		w.space()
		w.pushKey(base, strconv.AppendInt(w.str[:0], int64(n), 10))
		if err := w.value(depth + 1); err != nil {
			return err
		}
		w.path = w.path[:base]
		if done, err := w.next(']'); done || err != nil {
			return err
		}
	}
}

// next consumes ',' (more members follow) or the closing byte (done).
func (w *jsonWalker) next(closing byte) (done bool, err error) {
	w.space()
	if w.i >= len(w.b) {
		return false, errAt(Syntax, w.i, "unexpected end of payload")
	}
	switch w.b[w.i] {
	case ',':
		w.i++
		return false, nil
	case closing:
		w.i++
		return true, nil
	}
	return false, errAt(Syntax, w.i, "',' or '%c' expected", closing)
}

func (w *jsonWalker) pushKey(base int, key []byte) {
	if w.fn == nil {
		return
	}
	w.path = w.path[:base]
	if base > 0 {
		w.path = append(w.path, '.')
	}
	w.path = append(w.path, key...)
}

// string consumes a JSON string and returns its unescaped text.
func (w *jsonWalker) string() ([]byte, error) {
	start := w.i
	w.i++ // opening quote
	escaped := false
	for w.i < len(w.b) {
		c := w.b[w.i]
		switch {
		case c == '"':
			w.i++
			return w.unescape(start, escaped)
		case c == '\\':
			escaped = true
			w.i += 2
		case c < 0x20:
			return nil, errAt(Syntax, w.i, "control character in string")
		default:
			w.i++
		}
	}
	return nil, errAt(Syntax, start, "unterminated string")
}

func (w *jsonWalker) unescape(start int, escaped bool) ([]byte, error) {
	raw := w.b[start:w.i]
	if !escaped {
		return raw[1 : len(raw)-1], nil
	}
	// Escapes are rare in device payloads; the standard library decodes
	// them exactly (surrogate pairs, \u0000, invalid UTF-8 handling).
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, errAt(Syntax, start, "bad string escape")
	}
	w.str = append(w.str[:0], s...)
	return w.str, nil
}

func (w *jsonWalker) number() error {
	start := w.i
	end, ok := scanNumber(w.b, w.i, false)
	if !ok {
		return errAt(Syntax, start, "malformed number")
	}
	w.i = end
	if w.fn == nil {
		_, err := parseFloat(w.b[start:end], start)
		return err
	}
	v, err := parseFloat(w.b[start:end], start)
	if err != nil {
		return err
	}
	w.leaf(Scalar{Kind: Number, Num: v})
	return nil
}

func (w *jsonWalker) literal() error {
	for _, l := range [...]struct {
		text string
		s    Scalar
	}{{"true", Scalar{Kind: Bool, Bool: true}}, {"false", Scalar{Kind: Bool}}, {"null", Scalar{Kind: Null}}} {
		if len(w.b)-w.i >= len(l.text) && string(w.b[w.i:w.i+len(l.text)]) == l.text {
			w.i += len(l.text)
			w.leaf(l.s)
			return nil
		}
	}
	return errAt(Syntax, w.i, "unexpected byte %q", w.b[w.i])
}

// scanNumber scans the JSON number grammar from i and returns its end.
// lenient also accepts a leading '+' and leading zeros (plain payloads).
func scanNumber(b []byte, i int, lenient bool) (int, bool) {
	if i < len(b) && (b[i] == '-' || (lenient && b[i] == '+')) {
		i++
	}
	d := digits(b, i)
	if d == i || (!lenient && b[i] == '0' && d-i > 1) {
		return i, false
	}
	i = d
	if i < len(b) && b[i] == '.' {
		if d = digits(b, i+1); d == i+1 {
			return i, false
		}
		i = d
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if d = digits(b, i); d == i {
			return i, false
		}
		i = d
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// parseFloat parses a number already checked by scanNumber.
func parseFloat(b []byte, off int) (float64, error) {
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, errAt(Range, off, "number %.32s out of range", b)
	}
	return v, nil
}
