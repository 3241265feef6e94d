package modbussim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"facmon/collectors/modbus/codec"
	"facmon/internal/site"
)

// SiteOptions configure StartSite.
type SiteOptions struct {
	// Listen returns where to serve gateway g; nil serves each gateway on
	// its own address from the site file. Tests return "127.0.0.1:0".
	Listen func(g site.Gateway) string
	// Logger; nil discards.
	Logger *slog.Logger
}

// target is where a signal lives in the simulator.
type target struct {
	srv    *Server
	unit   uint8
	field  codec.Field
	scale  float64
	offset float64
}

// Site serves the Modbus devices of a site: one Server per tcp or
// rtu-over-tcp gateway, a unit for each unit id used behind it. Gateways
// on a serial line (transport rtu) cannot be served and are listed in
// Skipped.
type Site struct {
	servers map[string]*Server
	signals map[[2]string]target
	devices map[string]target
	// Skipped are the ids of the serial gateways not served.
	Skipped []string
}

// StartSite serves s's Modbus devices until Close or until ctx ends. Every
// register starts at zero; Set gives signals their values.
func StartSite(ctx context.Context, s *site.Site, o SiteOptions) (*Site, error) {
	out := &Site{servers: make(map[string]*Server), signals: make(map[[2]string]target), devices: make(map[string]target)}
	for _, g := range s.Modbus.Gateways {
		if err := out.startGateway(ctx, g, o); err != nil {
			out.Close()
			return nil, err
		}
	}
	for _, d := range s.Devices {
		if err := out.addDevice(d); err != nil {
			out.Close()
			return nil, err
		}
	}
	return out, nil
}

func (st *Site) startGateway(ctx context.Context, g site.Gateway, o SiteOptions) error {
	framing := TCP
	switch g.Transport {
	case "rtu":
		st.Skipped = append(st.Skipped, g.ID)
		return nil
	case "rtu-over-tcp":
		framing = RTUOverTCP
	}
	addr := g.Address
	if o.Listen != nil {
		addr = o.Listen(g)
	}
	srv, err := Start(ctx, Options{Addr: addr, Framing: framing, Logger: o.Logger})
	if err != nil {
		return fmt.Errorf("modbussim: gateway %q: %w", g.ID, err)
	}
	st.servers[g.ID] = srv
	return nil
}

func (st *Site) addDevice(d site.Device) error {
	if d.Modbus == nil {
		return nil
	}
	srv := st.servers[d.Modbus.Gateway]
	if srv == nil {
		return nil // on a skipped serial gateway
	}
	unit := uint8(d.Modbus.Unit)
	srv.AddUnitIfMissing(unit)
	st.devices[d.ID] = target{srv: srv, unit: unit}
	for _, sg := range d.Signals {
		if sg.Modbus == nil {
			continue
		}
		r := sg.Modbus
		f, err := codec.Parse(r.Table, r.Type, r.Order, r.Address, r.Bit)
		if err != nil {
			return fmt.Errorf("modbussim: device %q signal %q: %w", d.ID, sg.Name, err)
		}
		tg := target{srv: srv, unit: unit, field: f, scale: 1, offset: sg.Offset}
		if sg.Scale != nil && *sg.Scale != 0 {
			tg.scale = *sg.Scale
		}
		st.signals[[2]string{d.ID, sg.Name}] = tg
	}
	return nil
}

func (st *Site) signal(device, signal string) (target, error) {
	tg, ok := st.signals[[2]string{device, signal}]
	if !ok {
		return target{}, fmt.Errorf("modbussim: device %q has no served Modbus signal %q", device, signal)
	}
	return tg, nil
}

// Set stores value, in the signal's unit, as the device would hold it: the
// signal's scale and offset undone, encoded in its type and order. Booleans
// are 0 or 1.
func (st *Site) Set(device, signal string, value float64) error {
	tg, err := st.signal(device, signal)
	if err != nil {
		return err
	}
	raw := value
	if tg.field.Type != codec.Bool {
		raw = (value - tg.offset) / tg.scale
	}
	return tg.srv.SetValue(tg.unit, tg.field, raw)
}

// Get reads a signal back in its unit, e.g. after facmon wrote to it.
func (st *Site) Get(device, signal string) (float64, error) {
	tg, err := st.signal(device, signal)
	if err != nil {
		return 0, err
	}
	raw, err := tg.srv.Value(tg.unit, tg.field)
	if err != nil || tg.field.Type == codec.Bool {
		return raw, err
	}
	return raw*tg.scale + tg.offset, nil
}

// SetFault makes the unit behind device misbehave; other devices served by
// the same unit id share the fault, as they share the hardware.
func (st *Site) SetFault(device string, f Fault) error {
	tg, ok := st.devices[device]
	if !ok {
		return fmt.Errorf("modbussim: device %q is not served", device)
	}
	tg.srv.SetFault(tg.unit, f)
	return nil
}

// Server returns the server of a gateway, nil if it is not served.
func (st *Site) Server(gateway string) *Server { return st.servers[gateway] }

// Close stops every server.
func (st *Site) Close() error {
	var errs []error
	for _, srv := range st.servers {
		errs = append(errs, srv.Close())
	}
	return errors.Join(errs...)
}
