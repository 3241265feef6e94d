package payload

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// Line is one line of InfluxDB line protocol:
// measurement[,tag=value...] field=value[,field=value...] [timestamp].
type Line struct {
	Measurement string
	Tags        []Tag
	Fields      []Field
	// Time is the line's timestamp (nanoseconds since the epoch), or the
	// zero time when the line has none.
	Time time.Time
}

// Tag is a line-protocol tag.
type Tag struct{ Key, Value string }

// Field is a line-protocol field. Integers (12i) and unsigned integers
// (12u) become Numbers, t/true/f/false become Bools, quoted text becomes a
// String (owning its bytes).
type Field struct {
	Key   string
	Value Scalar
}

// Tag returns the value of tag key, or "".
func (l *Line) Tag(key string) string {
	for _, t := range l.Tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// LineProtocol decodes a payload of one or more lines of InfluxDB line
// protocol. Empty lines and # comments are skipped; a payload with no line
// at all is a Missing error. Any malformed line refuses the whole payload.
func LineProtocol(b []byte) ([]Line, error) {
	var out []Line
	for off := 0; off < len(b); {
		end := bytes.IndexByte(b[off:], '\n')
		if end < 0 {
			end = len(b) - off
		}
		text := bytes.TrimRight(b[off:off+end], "\r")
		if t := bytes.TrimLeft(text, " \t"); len(t) > 0 && t[0] != '#' {
			p := lpParser{b: t, base: off + len(text) - len(t)}
			l, err := p.line()
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
		off += end + 1
	}
	if len(out) == 0 {
		return nil, errAt(Missing, -1, "no line-protocol line")
	}
	return out, nil
}

type lpParser struct {
	b    []byte
	i    int
	base int // offset of b in the payload, for errors
}

func (p *lpParser) fail(r Reason, msg string) *Error {
	return errAt(r, p.base+p.i, "%s", msg)
}

func (p *lpParser) line() (Line, error) {
	var l Line
	l.Measurement = p.ident(", ")
	if l.Measurement == "" {
		return l, p.fail(Syntax, "measurement expected")
	}
	for p.i < len(p.b) && p.b[p.i] == ',' {
		p.i++
		t, err := p.tag()
		if err != nil {
			return l, err
		}
		l.Tags = append(l.Tags, t)
	}
	if !p.spaces() {
		return l, p.fail(Syntax, "space before fields expected")
	}
	if err := p.fields(&l); err != nil {
		return l, err
	}
	if p.spaces() && p.i < len(p.b) {
		return l, p.timestamp(&l)
	}
	if p.i < len(p.b) {
		return l, p.fail(Syntax, "unexpected data after fields")
	}
	return l, nil
}

func (p *lpParser) tag() (Tag, error) {
	k := p.ident("=, ")
	if k == "" || p.i >= len(p.b) || p.b[p.i] != '=' {
		return Tag{}, p.fail(Syntax, "tag key=value expected")
	}
	p.i++
	v := p.ident("=, ")
	if v == "" {
		return Tag{}, p.fail(Syntax, "tag value expected")
	}
	return Tag{Key: k, Value: v}, nil
}

func (p *lpParser) fields(l *Line) error {
	for {
		k := p.ident("=, ")
		if k == "" || p.i >= len(p.b) || p.b[p.i] != '=' {
			return p.fail(Syntax, "field key=value expected")
		}
		p.i++
		v, err := p.fieldValue()
		if err != nil {
			return err
		}
		l.Fields = append(l.Fields, Field{Key: k, Value: v})
		if p.i >= len(p.b) || p.b[p.i] != ',' {
			return nil
		}
		p.i++
	}
}

// ident reads up to an unescaped byte of stop; a backslash escapes the
// next byte when it is one of stop, '=' or '\'.
func (p *lpParser) ident(stop string) string {
	var out []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '\\' && p.i+1 < len(p.b) && (strings.IndexByte(stop, p.b[p.i+1]) >= 0 || p.b[p.i+1] == '=' || p.b[p.i+1] == '\\') {
			out = append(out, p.b[p.i+1])
			p.i += 2
			continue
		}
		if strings.IndexByte(stop, c) >= 0 {
			break
		}
		out = append(out, c)
		p.i++
	}
	return string(out)
}

func (p *lpParser) spaces() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] == ' ' {
		p.i++
	}
	return p.i > start
}

func (p *lpParser) fieldValue() (Scalar, error) {
	if p.i < len(p.b) && p.b[p.i] == '"' {
		return p.quoted()
	}
	start := p.i
	for p.i < len(p.b) && p.b[p.i] != ',' && p.b[p.i] != ' ' {
		p.i++
	}
	tok := p.b[start:p.i]
	if s, ok := lpBool(tok); ok {
		return s, nil
	}
	p.i = start
	return p.number(tok)
}

func lpBool(tok []byte) (Scalar, bool) {
	switch string(tok) {
	case "t", "T", "true", "True", "TRUE":
		return Scalar{Kind: Bool, Bool: true}, true
	case "f", "F", "false", "False", "FALSE":
		return Scalar{Kind: Bool}, true
	}
	return Scalar{}, false
}

func (p *lpParser) number(tok []byte) (Scalar, error) {
	defer func() { p.i += len(tok) }()
	if n := len(tok); n > 1 && (tok[n-1] == 'i' || tok[n-1] == 'u') {
		return p.integer(tok[:n-1], tok[n-1] == 'u')
	}
	end, ok := scanNumber(tok, 0, true)
	if !ok || end != len(tok) || len(tok) == 0 || tok[0] == '+' {
		return Scalar{}, p.fail(Syntax, "malformed field value")
	}
	v, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return Scalar{}, p.fail(Range, "field value out of range")
	}
	return Scalar{Kind: Number, Num: v}, nil
}

func (p *lpParser) integer(digits []byte, unsigned bool) (Scalar, error) {
	if unsigned {
		v, err := strconv.ParseUint(string(digits), 10, 64)
		if err != nil {
			return Scalar{}, p.fail(Syntax, "malformed unsigned integer")
		}
		return Scalar{Kind: Number, Num: float64(v)}, nil
	}
	v, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil || digits[0] == '+' {
		return Scalar{}, p.fail(Syntax, "malformed integer")
	}
	return Scalar{Kind: Number, Num: float64(v)}, nil
}

// quoted reads a "string field" with \" and \\ escapes.
func (p *lpParser) quoted() (Scalar, error) {
	p.i++
	var out []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '\\' && p.i+1 < len(p.b) && (p.b[p.i+1] == '"' || p.b[p.i+1] == '\\'):
			out = append(out, p.b[p.i+1])
			p.i += 2
		case c == '"':
			p.i++
			if out == nil {
				out = []byte{}
			}
			return Scalar{Kind: String, Str: out}, nil
		default:
			out = append(out, c)
			p.i++
		}
	}
	return Scalar{}, p.fail(Syntax, "unterminated string field")
}

func (p *lpParser) timestamp(l *Line) error {
	tok := p.b[p.i:]
	ns, err := strconv.ParseInt(string(tok), 10, 64)
	if err != nil || tok[0] == '+' {
		return p.fail(Time, "timestamp must be integer nanoseconds")
	}
	p.i = len(p.b)
	l.Time = time.Unix(0, ns)
	return nil
}
