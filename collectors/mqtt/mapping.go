package mqtt

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"facmon/collectors/mqtt/mqttconf"
	"facmon/internal/site"
)

// Payload formats.
type format uint8

const (
	formatJSON format = iota
	formatPlain
	formatInflux
)

// (mqttconf checked it: "", json, plain or influx).
func parseFormat(s string) format {
	switch s {
	case "plain":
		return formatPlain
	case "influx":
		return formatInflux
	}
	return formatJSON
}

// signalInfo is what decoding needs to know about one signal.
type signalInfo struct {
	name   string
	path   string // JSON path in a device payload
	scale  float64
	offset float64
	states map[string]float64 // lower-case state name → value
}

// deviceInfo is what a point needs from the site's device.
type deviceInfo struct {
	id, area, kind string
	timeout        time.Duration
	signals        map[string]*signalInfo
	byPath         map[string]*signalInfo
}

// route is one subscription or device topic, compiled.
type route struct {
	pat      *mqttconf.Pattern
	qos      byte
	format   format
	device   string // fixed device, when the topic has no {device}
	signal   string // fixed signal, when the topic has no {signal}
	timePath string // JSON path of the device timestamp
}

// mapping turns topics and payloads into points for one site.
type mapping struct {
	site    string
	routes  []route
	devices map[string]*deviceInfo
}

// newMapping compiles the site's MQTT subscriptions and device topics.
// Device topics come first: they are the more specific.
func newMapping(s *site.Site) (*mapping, error) {
	m := &mapping{site: s.ID, devices: make(map[string]*deviceInfo, len(s.Devices))}
	var errs []error
	for i := range s.Devices {
		d := &s.Devices[i]
		m.devices[d.ID] = newDeviceInfo(d)
		if d.MQTT == nil || d.MQTT.Topic == "" {
			continue
		}
		pat, ps := mqttconf.CheckDeviceTopic(d.MQTT.Topic, d.MQTT.Format)
		if err := ps.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s: device %q: mqtt: %w", where(d.MQTT.Pos), d.ID, err))
			continue
		}
		r := route{pat: pat, qos: 1, format: parseFormat(d.MQTT.Format), device: d.ID}
		m.routes = append(m.routes, r)
	}
	for _, sub := range s.MQTT.Subscriptions {
		pat, ps := mqttconf.CheckSubscription(sub.Topic, sub.Format, sub.QoS)
		if err := ps.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s: subscription %q: %w", where(sub.Pos), sub.Topic, err))
			continue
		}
		r := route{pat: pat, qos: byte(sub.QoS), format: parseFormat(sub.Format),
			device: sub.Device, signal: sub.Signal, timePath: sub.Time}
		m.routes = append(m.routes, r)
	}
	return m, errors.Join(errs...)
}

func where(p site.Pos) string {
	if p.File == "" {
		return "site"
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

func newDeviceInfo(d *site.Device) *deviceInfo {
	di := &deviceInfo{id: d.ID, area: d.Area, kind: d.Kind,
		signals: make(map[string]*signalInfo, len(d.Signals)), byPath: make(map[string]*signalInfo, len(d.Signals))}
	if d.MQTT != nil {
		di.timeout = time.Duration(d.MQTT.Timeout)
	}
	for i := range d.Signals {
		si := newSignalInfo(&d.Signals[i])
		di.signals[si.name] = si
		di.byPath[si.path] = si
	}
	return di
}

func newSignalInfo(s *site.Signal) *signalInfo {
	si := &signalInfo{name: s.Name, path: s.Name, scale: 1, offset: s.Offset}
	if s.Scale != nil {
		si.scale = *s.Scale
	}
	if s.MQTT != nil && s.MQTT.Path != "" {
		si.path = s.MQTT.Path
	}
	if len(s.States) > 0 {
		si.states = make(map[string]float64, len(s.States))
		for v, name := range s.States {
			si.states[strings.ToLower(name)] = float64(v)
		}
	}
	return si
}

// filters returns the subscription filters with the highest QoS each.
func (m *mapping) filters() map[string]byte {
	f := make(map[string]byte, len(m.routes))
	for _, r := range m.routes {
		k := r.pat.Filter()
		if q, ok := f[k]; !ok || r.qos > q {
			f[k] = r.qos
		}
	}
	return f
}

// match finds the first route the topic matches.
func (m *mapping) match(topic string) (*route, mqttconf.Parts, bool) {
	for i := range m.routes {
		if p, ok := m.routes[i].pat.Match(topic); ok {
			return &m.routes[i], p, true
		}
	}
	return nil, mqttconf.Parts{}, false
}

// scaled applies the signal's scale and offset, refusing non-finite
// results.
func (s *signalInfo) scaled(raw float64) (float64, bool) {
	v := raw*s.scale + s.offset
	return v, !math.IsNaN(v) && !math.IsInf(v, 0)
}
