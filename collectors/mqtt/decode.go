package mqtt

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"facmon/collectors"
	"facmon/collectors/mqtt/mqttconf"
	"facmon/collectors/payload"
)

// headLen is how many payload bytes an error quotes.
const headLen = 32

// PayloadError is a message whose payload could not be decoded (or held a
// value its signal cannot take). No point is made from the bad value.
type PayloadError struct {
	Topic  string
	Device string
	Signal string // the signal whose value was refused, if one
	Head   []byte // the payload's first bytes
	Err    error  // a *payload.Error
}

// Error names the topic, the device and signal, and quotes the payload.
func (e *PayloadError) Error() string {
	what := ""
	if e.Device != "" {
		what = fmt.Sprintf(" device %q", e.Device)
	}
	if e.Signal != "" {
		what += fmt.Sprintf(" signal %q", e.Signal)
	}
	return fmt.Sprintf("mqtt topic %q:%s: payload %q: %v", e.Topic, what, e.Head, e.Err)
}

// Unwrap returns the decoder's error.
func (e *PayloadError) Unwrap() error { return e.Err }

// Reason is the payload error's metric label.
func (e *PayloadError) Reason() payload.Reason { return payload.ReasonOf(e.Err) }

// UnknownError is a message for a device or signal the site does not
// have, or on a topic no subscription maps.
type UnknownError struct {
	Topic string
	What  string // "device", "signal" or "topic"
	Name  string
}

// Error names the topic and the unknown name.
func (e *UnknownError) Error() string {
	if e.What == "topic" {
		return fmt.Sprintf("mqtt topic %q: no subscription maps it", e.Topic)
	}
	return fmt.Sprintf("mqtt topic %q: unknown %s %q", e.Topic, e.What, e.Name)
}

func head(b []byte) []byte {
	if len(b) > headLen {
		b = b[:headLen]
	}
	return append([]byte(nil), b...)
}

// decoded is the outcome of one message: its points, the device it came
// from (for status), and the errors met. A message may yield points and
// errors both: one refused signal does not discard its neighbours.
type decoded struct {
	device string
	points []collectors.Point
	errs   []error
}

// decode maps one message to points. recv stamps points whose payload
// carries no device timestamp.
func (m *mapping) decode(topic string, body []byte, recv time.Time, out []collectors.Point) decoded {
	d := decoded{points: out}
	r, parts, ok := m.match(topic)
	if !ok {
		d.errs = append(d.errs, &UnknownError{Topic: topic, What: "topic"})
		return d
	}
	dec := decoder{m: m, r: r, parts: parts, topic: topic, body: body, recv: recv, out: &d}
	switch r.format {
	case formatPlain:
		dec.plain()
	case formatInflux:
		dec.influx()
	default:
		dec.json()
	}
	return d
}

// decoder holds one message's context while it is decoded.
type decoder struct {
	m     *mapping
	r     *route
	parts mqttconf.Parts
	topic string
	body  []byte
	recv  time.Time
	out   *decoded
}

func (c *decoder) fail(dev, sig string, err error) {
	c.out.errs = append(c.out.errs, &PayloadError{Topic: c.topic, Device: dev, Signal: sig, Head: head(c.body), Err: err})
}

// device resolves the message's device: the topic's {device}, else the
// route's fixed device, else the line-protocol tag.
func (c *decoder) device(tag string) *deviceInfo {
	id := firstOf(c.parts.Device, c.r.device, tag)
	di, ok := c.m.devices[id]
	if !ok {
		c.out.errs = append(c.out.errs, &UnknownError{Topic: c.topic, What: "device", Name: id})
		return nil
	}
	c.out.device = id
	return di
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (c *decoder) signal(di *deviceInfo, name string) *signalInfo {
	si, ok := di.signals[name]
	if !ok || name == collectors.StatusSignal {
		c.out.errs = append(c.out.errs, &UnknownError{Topic: c.topic, What: "signal", Name: di.id + "/" + name})
		return nil
	}
	return si
}

// emit converts one scalar to a point, or records why it cannot.
func (c *decoder) emit(di *deviceInfo, si *signalInfo, s payload.Scalar, at time.Time) {
	v, isBool, err := value(si, s)
	if err != nil {
		c.fail(di.id, si.name, err)
		return
	}
	c.out.points = append(c.out.points, collectors.Point{Site: c.m.site, Area: di.area, Kind: di.kind, Device: di.id,
		Signal: si.name, Value: v, Bool: isBool, Quality: collectors.Good, Time: at})
}

// value turns a scalar into a signal's value: numbers scaled, booleans
// kept as booleans (0/1 with Bool set), text mapped through the signal's
// states, or read as a number or a boolean word.
func value(si *signalInfo, s payload.Scalar) (float64, bool, error) {
	switch s.Kind {
	case payload.Number:
		v, ok := si.scaled(s.Num)
		if !ok {
			return 0, false, &payload.Error{Reason: payload.Range, Offset: -1, Msg: "scaled value is not finite"}
		}
		return v, false, nil
	case payload.Bool:
		return b2f(s.Bool), true, nil
	case payload.String:
		return textValue(si, s.Str)
	}
	return 0, false, &payload.Error{Reason: payload.Missing, Offset: -1, Msg: "value is null"}
}

func textValue(si *signalInfo, text []byte) (float64, bool, error) {
	if v, ok := si.states[strings.ToLower(string(text))]; ok {
		return v, false, nil
	}
	p, err := payload.Plain(text)
	if err == nil && p.Kind != payload.String {
		return value(si, p)
	}
	return 0, false, &payload.Error{Reason: payload.State, Offset: -1, Msg: fmt.Sprintf("%.32q is no state of the signal", text)}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *decoder) plain() {
	di := c.device("")
	if di == nil {
		return
	}
	si := c.signal(di, firstOf(c.parts.Signal, c.r.signal))
	if si == nil {
		return
	}
	s, err := payload.Plain(c.body)
	if err != nil {
		c.fail(di.id, si.name, err)
		return
	}
	c.emit(di, si, s, c.recv)
}

func (c *decoder) influx() {
	lines, err := payload.LineProtocol(c.body)
	if err != nil {
		c.fail(firstOf(c.parts.Device, c.r.device), "", err)
		return
	}
	for i := range lines {
		l := &lines[i]
		di := c.device(l.Tag("device"))
		if di == nil {
			continue
		}
		at := c.recv
		if !l.Time.IsZero() {
			at = l.Time
		}
		for _, f := range l.Fields {
			if si := c.signal(di, f.Key); si != nil {
				c.emit(di, si, f.Value, at)
			}
		}
	}
}

var errNoSignal = &payload.Error{Reason: payload.Missing, Offset: -1, Msg: "no value of a known signal in the payload"}

// json decodes a JSON payload: with a fixed signal (topic {signal} or the
// subscription's signal) the value is the top-level scalar or the
// signal's path; otherwise every signal of the device is looked up by its
// path.
func (c *decoder) json() {
	di := c.device("")
	if di == nil {
		return
	}
	var fixed *signalInfo
	if name := firstOf(c.parts.Signal, c.r.signal); name != "" {
		if fixed = c.signal(di, name); fixed == nil {
			return
		}
	}
	type hit struct {
		si *signalInfo
		s  payload.Scalar
	}
	var hits [8]hit
	found := hits[:0]
	var ts payload.Scalar
	var hasTS bool
	err := payload.WalkJSON(c.body, func(path []byte, s payload.Scalar) {
		if c.r.timePath != "" && string(path) == c.r.timePath {
			ts, hasTS = s, true
			ts.Str = append([]byte(nil), s.Str...)
			return
		}
		si := c.jsonSignal(di, fixed, path)
		if si == nil {
			return
		}
		if s.Kind == payload.String {
			s.Str = append([]byte(nil), s.Str...)
		}
		found = append(found, hit{si, s})
	})
	if err != nil {
		c.fail(di.id, "", err)
		return
	}
	at, ok := c.deviceTime(di, ts, hasTS)
	if !ok {
		return
	}
	if len(found) == 0 {
		c.fail(di.id, "", errNoSignal)
	}
	for _, h := range found {
		c.emit(di, h.si, h.s, at)
	}
}

// jsonSignal maps a JSON path to the signal it carries, if any.
func (c *decoder) jsonSignal(di *deviceInfo, fixed *signalInfo, path []byte) *signalInfo {
	if fixed == nil {
		return di.byPath[string(path)]
	}
	if len(path) == 0 || string(path) == fixed.path || string(path) == "value" {
		return fixed
	}
	return nil
}

// deviceTime returns the payload's timestamp, the receive time when there
// is none, and false (after recording the error) when it is malformed: a
// wrong time is a wrong value.
func (c *decoder) deviceTime(di *deviceInfo, ts payload.Scalar, has bool) (time.Time, bool) {
	if !has {
		return c.recv, true
	}
	t, err := payload.ParseTime(ts)
	if err != nil {
		c.fail(di.id, "", err)
		return time.Time{}, false
	}
	return t, true
}

// isUnknown reports whether err is an UnknownError, and of what.
func isUnknown(err error) (string, bool) {
	var u *UnknownError
	if errors.As(err, &u) {
		return u.What, true
	}
	return "", false
}
