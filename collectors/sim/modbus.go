package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"facmon/collectors/modbus/codec"
	"facmon/collectors/sim/modbussim"
	"facmon/internal/site"
)

// gateway is one simulated Modbus gateway: a modbussim server and the
// devices behind it.
type gateway struct {
	id      string
	srv     *modbussim.Server
	devices []*mbDevice
	silent  map[uint8]bool // units made silent by the unplug scenario
}

// mbDevice is one Modbus device of the site, as the simulator serves it.
type mbDevice struct {
	id      string
	unit    uint8
	signals []mbSignal
}

// mbSignal is where one signal's value is stored.
type mbSignal struct {
	name          string
	field         codec.Field
	scale, offset float64
	seeded        bool // a coil got its first value; afterwards masters own it
}

// startGateways starts a server for every TCP and RTU-over-TCP gateway of
// the site. A serial (rtu) gateway cannot be served and is skipped with a
// warning.
func startGateways(ctx context.Context, s *site.Site, listenAny bool, log *slog.Logger) ([]*gateway, error) {
	var gws []*gateway
	for _, g := range s.Modbus.Gateways {
		gw, err := startGateway(ctx, s, g, listenAny, log)
		if err != nil {
			closeGateways(gws)
			return nil, err
		}
		if gw != nil {
			gws = append(gws, gw)
		}
	}
	return gws, nil
}

func startGateway(ctx context.Context, s *site.Site, g site.Gateway, listenAny bool, log *slog.Logger) (*gateway, error) {
	framing := modbussim.TCP
	switch g.Transport {
	case "rtu-over-tcp":
		framing = modbussim.RTUOverTCP
	case "rtu":
		log.Warn("sim: serial gateway not simulated; give it transport rtu-over-tcp to simulate it", "gateway", g.ID, "address", g.Address)
		return nil, nil
	}
	devs, err := gatewayDevices(s, g.ID)
	if err != nil {
		return nil, err
	}
	addr := g.Address
	if listenAny {
		addr = "127.0.0.1:0"
	}
	srv, err := modbussim.Start(ctx, modbussim.Options{Addr: addr, Framing: framing, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("%s: gateway %q: %w", where(g.Pos), g.ID, err)
	}
	for _, d := range devs {
		srv.AddUnitIfMissing(d.unit)
	}
	return &gateway{id: g.ID, srv: srv, devices: devs, silent: map[uint8]bool{}}, nil
}

func closeGateways(gws []*gateway) {
	for _, g := range gws {
		g.srv.Close()
	}
}

// where is a site-file position as file:line.
func where(p site.Pos) string {
	if p.File == "" {
		return "site"
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// gatewayDevices reads the registers of the devices behind a gateway.
func gatewayDevices(s *site.Site, gw string) ([]*mbDevice, error) {
	var out []*mbDevice
	var errs []error
	for i := range s.Devices {
		d := &s.Devices[i]
		if d.Modbus == nil || d.Modbus.Gateway != gw {
			continue
		}
		md := &mbDevice{id: d.ID, unit: uint8(d.Modbus.Unit)}
		for _, sg := range d.Signals {
			if sg.Modbus == nil {
				continue
			}
			f, err := fieldOf(sg.Modbus)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: device %q: signal %q: %s %d: %w", where(sg.Modbus.Pos), d.ID, sg.Name, sg.Modbus.Table, sg.Modbus.Address, err))
				continue
			}
			md.signals = append(md.signals, mbSignal{name: sg.Name, field: f, scale: scaleOf(sg), offset: sg.Offset})
		}
		out = append(out, md)
	}
	return out, errors.Join(errs...)
}

func scaleOf(sg site.Signal) float64 {
	if sg.Scale == nil || *sg.Scale == 0 {
		return 1
	}
	return *sg.Scale
}

// fieldOf turns a site-file register into a codec field, as the
// collector does.
func fieldOf(r *site.Register) (codec.Field, error) {
	return codec.Parse(r.Table, r.Type, r.Order, r.Address, r.Bit)
}

// store writes the world's values into the gateway's registers, and
// silences the units of unplugged devices. Coils get the world's value
// once: afterwards they belong to the masters that write them (linkage
// switching a floodlight on).
func (g *gateway) store(w *World, log *slog.Logger) {
	silent := map[uint8]bool{}
	for _, d := range g.devices {
		if w.Unplugged(d.id) {
			silent[d.unit] = true
		}
		for i := range d.signals {
			g.storeSignal(w, d, &d.signals[i], log)
		}
	}
	g.setSilent(silent)
}

func (g *gateway) storeSignal(w *World, d *mbDevice, sg *mbSignal, log *slog.Logger) {
	if sg.field.Table == codec.Coil && sg.seeded {
		return
	}
	v, _ := w.Value(d.id, sg.name)
	raw := v
	if sg.field.Type != codec.Bool {
		raw = (v - sg.offset) / sg.scale
	}
	if math.IsNaN(raw) || math.IsInf(raw, 0) {
		return
	}
	if err := g.srv.SetValue(d.unit, sg.field, raw); err != nil && !sg.seeded {
		log.Warn("sim: value does not fit its register", "gateway", g.id, "device", d.id, "signal", sg.name, "err", err)
	}
	sg.seeded = true
}

// setSilent applies the unplug scenario: silent units never answer.
func (g *gateway) setSilent(silent map[uint8]bool) {
	for u := range silent {
		if !g.silent[u] {
			g.srv.SetFault(u, modbussim.Fault{Kind: modbussim.Silent})
		}
	}
	for u := range g.silent {
		if !silent[u] {
			g.srv.SetFault(u, modbussim.Fault{})
		}
	}
	g.silent = silent
}
