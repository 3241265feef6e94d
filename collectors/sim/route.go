package sim

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"facmon/internal/site"
)

// mqttDevice is one MQTT device of the site and how it publishes.
type mqttDevice struct {
	d        *site.Device
	topic    string // with {device} and {area} filled in; {signal} stays
	format   string // json, plain or influx
	signal   string // the one signal a fixed-signal route carries
	timePath string // JSON path of the device timestamp, if any
	every    time.Duration
	last     time.Time
	sent     map[string]float64 // state values last published
}

// message is one MQTT publish.
type message struct {
	topic string
	body  []byte
}

// mqttDevices finds, for every device that is not on Modbus, the topic it
// publishes on: its own mqtt.topic, or the subscription that names it, or
// the one whose topic its sim_topic label gives, or the one whose literal
// levels name its kind (estate/bins/{device}/... for a bin), or one with
// {area}, or the first with {device}.
func mqttDevices(s *site.Site) []*mqttDevice {
	var out []*mqttDevice
	for i := range s.Devices {
		d := &s.Devices[i]
		if d.Modbus != nil {
			continue
		}
		if md := routeOf(s, d); md != nil {
			md.every = publishEvery(d)
			md.sent = map[string]float64{}
			out = append(out, md)
		}
	}
	return out
}

// publishEvery is the heartbeat of a device: a quarter of its timeout
// (so a lost message or two never marks it offline), between 1 s and 1 min.
func publishEvery(d *site.Device) time.Duration {
	if d.MQTT == nil || d.MQTT.Timeout == 0 {
		return 10 * time.Second
	}
	return min(time.Minute, max(time.Second, time.Duration(d.MQTT.Timeout)/4))
}

func routeOf(s *site.Site, d *site.Device) *mqttDevice {
	if d.MQTT != nil && d.MQTT.Topic != "" {
		return &mqttDevice{d: d, topic: d.MQTT.Topic, format: orJSON(d.MQTT.Format)}
	}
	sub := pickSubscription(s, d)
	if sub == nil {
		return nil
	}
	return &mqttDevice{d: d, topic: fillTopic(sub.Topic, d), format: orJSON(sub.Format), signal: sub.Signal, timePath: sub.Time}
}

func orJSON(f string) string {
	if f == "" {
		return "json"
	}
	return f
}

// pickSubscription chooses the subscription a device publishes on.
func pickSubscription(s *site.Site, d *site.Device) *site.Subscription {
	subs := s.MQTT.Subscriptions
	pick := func(ok func(sub *site.Subscription) bool) *site.Subscription {
		for i := range subs {
			if ok(&subs[i]) {
				return &subs[i]
			}
		}
		return nil
	}
	open := func(sub *site.Subscription) bool { return sub.Device == "" && strings.Contains(sub.Topic, "{device}") }
	for _, ok := range []func(*site.Subscription) bool{
		func(sub *site.Subscription) bool { return sub.Device == d.ID },
		func(sub *site.Subscription) bool { return sub.Topic == d.Labels["sim_topic"] },
		func(sub *site.Subscription) bool { return open(sub) && namesKind(sub.Topic, d.Kind) },
		func(sub *site.Subscription) bool { return open(sub) && strings.Contains(sub.Topic, "{area}") },
		open,
	} {
		if sub := pick(ok); sub != nil {
			return sub
		}
	}
	return nil
}

// namesKind reports whether a literal topic level names a word of the
// kind: "bins" for bin, "perimeter" for perimeter_zone.
func namesKind(topic, kind string) bool {
	for _, lv := range strings.Split(topic, "/") {
		for _, word := range strings.Split(kind, "_") {
			if len(word) >= 3 && strings.HasPrefix(lv, word) {
				return true
			}
		}
	}
	return false
}

// fillTopic puts the device's names into a topic pattern. + stands for
// the device id and # is dropped (it matches its parent level too).
func fillTopic(pattern string, d *site.Device) string {
	levels := strings.Split(pattern, "/")
	out := levels[:0]
	for _, lv := range levels {
		switch lv {
		case "{device}", "+":
			lv = d.ID
		case "{area}":
			lv = d.Area
		case "#":
			continue
		}
		out = append(out, lv)
	}
	return strings.Join(out, "/")
}

// due reports whether the device should publish now: its heartbeat is
// due, a state signal changed (an alarm must not wait for the heartbeat),
// or an analog value moved past its deadband, as report-by-exception
// sensors do.
func (m *mqttDevice) due(w *World, now time.Time) bool {
	if m.last.IsZero() || now.Sub(m.last) >= m.every {
		return true
	}
	for _, sg := range m.d.Signals {
		v, _ := w.Value(m.d.ID, sg.Name)
		if changed(sg.Type, m.sent[sg.Name], v) {
			return true
		}
	}
	return false
}

// changed reports a state change, or an analog move of more than 2 % of
// the last value sent plus half a unit (a bin's fill, not a temperature's
// drift). Counters wait for the heartbeat.
func changed(t site.SignalType, sent, v float64) bool {
	switch t {
	case site.State:
		return v != sent
	case site.Analog:
		return math.Abs(v-sent) >= 0.02*math.Abs(sent)+0.5
	}
	return false
}

// topics are the topics the device publishes on: one per signal when the
// topic has {signal}.
func (m *mqttDevice) topics() []string {
	if !strings.Contains(m.topic, "{signal}") {
		return []string{m.topic}
	}
	var out []string
	for _, sg := range m.d.Signals {
		if m.signal == "" || sg.Name == m.signal {
			out = append(out, strings.ReplaceAll(m.topic, "{signal}", sg.Name))
		}
	}
	return out
}

// messages encodes the device's current values in its route's format.
// now stamps payloads that carry a time: the clock of the machine, never
// the simulated time, so the collector stores truthful timestamps.
func (m *mqttDevice) messages(w *World, now time.Time) []message {
	m.last = now
	vals := make([]sigValue, 0, len(m.d.Signals))
	for _, sg := range m.d.Signals {
		if m.signal != "" && sg.Name != m.signal {
			continue
		}
		v, _ := w.Value(m.d.ID, sg.Name)
		m.sent[sg.Name] = v
		vals = append(vals, sigValue{sg: sg, v: round(v)})
	}
	perSignal := strings.Contains(m.topic, "{signal}")
	switch {
	case m.format == "influx" && perSignal:
		return m.each(vals, func(sv sigValue) []byte { return lineProtocol(m.d, []sigValue{sv}, now) })
	case m.format == "influx":
		return []message{{m.topic, lineProtocol(m.d, vals, now)}}
	case perSignal || m.signal != "":
		return m.each(vals, func(sv sigValue) []byte { return []byte(num(sv.v)) })
	}
	return []message{{m.topic, jsonObject(vals, m.timePath, now)}}
}

type sigValue struct {
	sg site.Signal
	v  float64
}

// round keeps three decimals: what a real sensor reports.
func round(v float64) float64 { return math.Round(v*1000) / 1000 }

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// each is one message per signal, on the topic with {signal} filled in:
// the value alone (plain, or a bare JSON number), or a one-field line.
func (m *mqttDevice) each(vals []sigValue, body func(sigValue) []byte) []message {
	out := make([]message, 0, len(vals))
	for _, sv := range vals {
		out = append(out, message{strings.ReplaceAll(m.topic, "{signal}", sv.sg.Name), body(sv)})
	}
	return out
}

// jsonObject is {"path": value, ...}, dotted paths as nested objects,
// with the timestamp (RFC 3339) at timePath if the route has one.
func jsonObject(vals []sigValue, timePath string, now time.Time) []byte {
	root := map[string]any{}
	for _, sv := range vals {
		path := sv.sg.Name
		if sv.sg.MQTT != nil && sv.sg.MQTT.Path != "" {
			path = sv.sg.MQTT.Path
		}
		put(root, path, sv.v)
	}
	if timePath != "" {
		put(root, timePath, now.UTC().Format(time.RFC3339Nano))
	}
	b, _ := json.Marshal(root) // maps of numbers and strings always marshal
	return b
}

func put(root map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	m := root
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// lineProtocol is one InfluxDB line: the kind as measurement, the device
// as a tag, every signal as a field, the time in nanoseconds.
func lineProtocol(d *site.Device, vals []sigValue, now time.Time) []byte {
	var b strings.Builder
	b.WriteString(d.Kind + ",device=" + d.ID + " ")
	for i, sv := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(sv.sg.Name + "=" + num(sv.v))
	}
	b.WriteString(" " + strconv.FormatInt(now.UnixNano(), 10))
	return []byte(b.String())
}
