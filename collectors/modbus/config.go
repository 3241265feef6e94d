package modbus

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"facmon/collectors/modbus/codec"
	"facmon/collectors/modbus/modbusconf"
	"facmon/internal/site"
)

// Fallbacks for settings that must not be zero, when a Site was built by
// hand rather than by site.Load (which fills the documented defaults).
const (
	DefaultInterval     = time.Second
	DefaultTimeout      = time.Second
	DefaultOfflineAfter = 3
	DefaultMaxGap       = 10
)

// signal is one polled value of a device.
type signal struct {
	name   string
	field  codec.Field
	scale  float64
	offset float64
}

// device is one site device on Modbus.
type device struct {
	id, kind, area, gateway string
	unit                    byte
	interval, timeout       time.Duration
	retries, offlineAfter   int
	signals                 []signal
}

// fieldRef is a planned field: signal sig of device dev.
type fieldRef struct {
	dev *device
	sig int
}

// pollGroup is what one poll reads: the devices behind one unit id that
// share interval and timeout. A PLC serving several logical devices (four
// tanks on one unit) then costs the requests of one device, not four.
type pollGroup struct {
	gateway           string
	unit              byte
	interval, timeout time.Duration
	// retries is the most any member asks for.
	retries int
	devices []*device
	// refs are the fields given to Plan, in order.
	refs []fieldRef
	plan []Request
}

// gatewayConfig is one poller's work.
type gatewayConfig struct {
	gw        Gateway
	transport string // as the site file writes it
	maxGap    int
	devices   []*device
	groups    []*pollGroup
}

// groupKey identifies devices that are polled together.
type groupKey struct {
	unit              byte
	interval, timeout time.Duration
}

// group sorts the gateway's devices into poll groups, in site order, and
// plans each group's reads.
func (gc *gatewayConfig) group() {
	byKey := make(map[groupKey]*pollGroup)
	for _, d := range gc.devices {
		k := groupKey{d.unit, d.interval, d.timeout}
		g := byKey[k]
		if g == nil {
			g = &pollGroup{gateway: gc.gw.ID, unit: d.unit, interval: d.interval, timeout: d.timeout}
			byKey[k] = g
			gc.groups = append(gc.groups, g)
		}
		g.devices = append(g.devices, d)
		g.retries = max(g.retries, d.retries)
		for i := range d.signals {
			g.refs = append(g.refs, fieldRef{d, i})
		}
	}
	for _, g := range gc.groups {
		fields := make([]codec.Field, len(g.refs))
		for i, r := range g.refs {
			fields[i] = r.dev.signals[r.sig].field
		}
		g.plan = Plan(fields, gc.maxGap)
	}
}

// ids names the group's devices for errors and logs.
func (g *pollGroup) ids() string {
	ids := make([]string, len(g.devices))
	for i, d := range g.devices {
		ids[i] = d.id
	}
	return strings.Join(ids, ",")
}

// where prefixes an error with the file:line of a site-file node.
func where(p site.Pos, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if p.File != "" {
		return fmt.Errorf("%s:%d: %s", p.File, p.Line, msg)
	}
	return errors.New(msg)
}

func dur(d site.Duration, def time.Duration) time.Duration {
	if d > 0 {
		return time.Duration(d)
	}
	return def
}

// configure reads the site's gateways and Modbus devices, reporting every
// mistake at once.
func configure(s *site.Site) ([]*gatewayConfig, error) {
	var errs []error
	byID := make(map[string]*gatewayConfig)
	var gws []*gatewayConfig
	for _, g := range s.Modbus.Gateways {
		gc, err := gatewayFrom(g)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if byID[g.ID] != nil {
			errs = append(errs, where(g.Pos, "gateway %q defined twice", g.ID))
			continue
		}
		byID[g.ID] = gc
		gws = append(gws, gc)
	}
	for i := range s.Devices {
		d := &s.Devices[i]
		if d.Modbus == nil {
			continue
		}
		gc := byID[d.Modbus.Gateway]
		if gc == nil {
			errs = append(errs, where(d.Modbus.Pos, "device %q: gateway %q undefined", d.ID, d.Modbus.Gateway))
			continue
		}
		dev, err := deviceFrom(d, gc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		gc.devices = append(gc.devices, dev)
	}
	for _, gc := range gws {
		gc.group()
	}
	return gws, errors.Join(errs...)
}

// gatewayFrom checks a gateway with the Modbus grammar (the one
// `facmon check` reports from) and builds its poller's configuration.
func gatewayFrom(g site.Gateway) (*gatewayConfig, error) {
	ps := modbusconf.CheckGateway(modbusconf.Gateway{Transport: g.Transport, Address: g.Address, Parity: g.Parity,
		BaudRate: g.BaudRate, DataBits: g.DataBits, StopBits: g.StopBits, MaxGap: g.MaxGap})
	if err := ps.Err(); err != nil {
		return nil, where(g.Pos, "gateway %q: %v", g.ID, err)
	}
	gw := Gateway{ID: g.ID, Address: g.Address, BaudRate: g.BaudRate, DataBits: g.DataBits,
		Parity: g.Parity, StopBits: g.StopBits, Timeout: dur(g.Timeout, DefaultTimeout)}
	switch g.Transport {
	case "tcp":
		gw.Transport = TCP
	case "rtu":
		gw.Transport = RTU
	case "rtu-over-tcp":
		gw.Transport = RTUOverTCP
	}
	gc := &gatewayConfig{gw: gw, transport: g.Transport, maxGap: DefaultMaxGap}
	if g.MaxGap != nil {
		gc.maxGap = *g.MaxGap
	}
	return gc, nil
}

func deviceFrom(d *site.Device, gc *gatewayConfig) (*device, error) {
	m := d.Modbus
	if err := modbusconf.CheckUnit(gc.transport, m.Unit, true).Err(); err != nil {
		return nil, where(m.Pos, "device %q: %v", d.ID, err)
	}
	dev := &device{id: d.ID, kind: d.Kind, area: d.Area, gateway: gc.gw.ID, unit: byte(m.Unit),
		interval: dur(m.Interval, DefaultInterval), timeout: dur(m.Timeout, gc.gw.Timeout),
		retries: max(m.Retries, 0), offlineAfter: m.OfflineAfter}
	if dev.offlineAfter <= 0 {
		dev.offlineAfter = DefaultOfflineAfter
	}
	var errs []error
	for _, s := range d.Signals {
		sig, err := signalFrom(d.ID, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if sig != nil {
			dev.signals = append(dev.signals, *sig)
		}
	}
	return dev, errors.Join(errs...)
}

// signalFrom reads one signal's register; nil for a signal that is not on
// Modbus.
func signalFrom(devID string, s site.Signal) (*signal, error) {
	r := s.Modbus
	if r == nil {
		return nil, nil
	}
	fail := func(err error) error {
		return where(r.Pos, "device %q: signal %q: %s %d: %v", devID, s.Name, r.Table, r.Address, err)
	}
	f, err := modbusconf.Field(modbusconf.Register{Table: r.Table, Type: r.Type, Order: r.Order, Address: r.Address, Bit: r.Bit})
	if err != nil {
		return nil, fail(err)
	}
	sig := &signal{name: s.Name, field: f, scale: 1, offset: s.Offset}
	if s.Scale != nil {
		sig.scale = *s.Scale
	}
	return sig, nil
}
