package site

import (
	"slices"
	"strings"

	"facmon/collectors"
	"facmon/collectors/modbus/modbusconf"
)

// Modbus enumerations, as the site file writes them (owned by the Modbus
// collector's grammar, collectors/modbus/modbusconf).
var (
	// Transports are the gateway transports.
	Transports = modbusconf.Transports
	// Tables are the Modbus data tables.
	Tables = modbusconf.Tables
	// RegisterTypes are the value types a register can hold.
	RegisterTypes = modbusconf.RegisterTypes
	// Orders are the word and byte orders of multi-register values.
	Orders = modbusconf.Orders
)

// oneOf formats a list of allowed values for a message.
func oneOf(vals []string) string { return strings.Join(vals, ", ") }

// Words returns how many 16-bit registers a value of the register's type
// takes (1 for bool and for coils and discrete inputs).
func (r *Register) Words() int { return modbusconf.Words(r.Type) }

// IsBitTable reports whether the register is a coil or discrete input.
func (r *Register) IsBitTable() bool { return modbusconf.IsBitTable(r.Table) }

// checkGateways checks the Modbus gateways: ids here, the rest by the
// Modbus grammar.
func (c *checker) checkGateways() {
	seen := map[string]Pos{}
	for i := range c.site.Modbus.Gateways {
		g := &c.site.Modbus.Gateways[i]
		ctx := "modbus: " + label("gateway", g.ID, i)
		c.checkID(g, "id", g.ID, g.Pos, ctx)
		c.unique(seen, g.ID, c.at(g, "id", g.Pos), ctx)
		c.problems(g, g.Pos, ctx, modbusconf.CheckGateway(modbusconf.Gateway{
			Transport: g.Transport, Address: g.Address, Parity: g.Parity,
			BaudRate: g.BaudRate, DataBits: g.DataBits, StopBits: g.StopBits, MaxGap: g.MaxGap,
			Given: func(key string) bool { return c.has(g, key) },
		}))
		c.checkPositive(g, "timeout", int64(g.Timeout), g.Pos, ctx)
	}
}

// problems reports a protocol grammar's problems with owner at the place
// of their keys, leaving out a key whose value the decoder reported
// already (one mistake, one message).
func (c *checker) problems(owner any, start Pos, ctx string, ps collectors.Problems) {
	for _, p := range ps {
		if p.Key == "" || c.unreported(owner, p.Key) {
			c.errf(c.at(owner, p.Key, start), "%s: %s", ctx, p.Msg)
		}
	}
}

// checkDeviceModbus checks a device's modbus block against its gateway and
// its signals.
func (c *checker) checkDeviceModbus(d *Device, ctx string) {
	regs := slices.IndexFunc(d.Signals, func(s Signal) bool { return s.Modbus != nil })
	m := d.Modbus
	switch {
	case m == nil && regs >= 0:
		sg := &d.Signals[regs]
		c.errf(c.at(sg, "modbus", sg.Pos), "%s: %s has a modbus register but the device has no modbus: block", ctx, label("signal", sg.Name, regs))
		return
	case m == nil:
		return
	case regs < 0:
		c.errf(m.Pos, "%s: modbus: block but no signal has a modbus register", ctx)
	}
	ctx += ": modbus"
	transport := ""
	if g := c.checkDeviceGateway(m, ctx); g != nil {
		transport = g.Transport
	}
	c.problems(m, m.Pos, ctx, modbusconf.CheckUnit(transport, m.Unit, c.has(m, "unit")))
	c.checkPositive(m, "interval", int64(m.Interval), m.Pos, ctx)
	c.checkPositive(m, "timeout", int64(m.Timeout), m.Pos, ctx)
	c.checkNonNegative(m, "retries", m.Retries, m.Pos, ctx)
	c.checkPositive(m, "offline_after", int64(m.OfflineAfter), m.Pos, ctx)
}

// checkDeviceGateway checks that the device's gateway exists and returns it.
func (c *checker) checkDeviceGateway(m *DeviceModbus, ctx string) *Gateway {
	if m.Gateway == "" {
		if c.unreported(m, "gateway") {
			c.errf(m.Pos, "%s: gateway missing", ctx)
		}
		return nil
	}
	g, ok := c.site.Gateway(m.Gateway)
	if !ok {
		c.errf(c.at(m, "gateway", m.Pos), "%s: gateway %s not defined under modbus.gateways", ctx, quote(m.Gateway))
	}
	return g
}

// checkRegister checks where a signal lives on a Modbus device.
func (c *checker) checkRegister(sg *Signal, ctx string) {
	r := sg.Modbus
	if r == nil {
		return
	}
	c.problems(r, r.Pos, ctx+": modbus", modbusconf.CheckRegister(modbusconf.Register{
		Table: r.Table, Type: r.Type, Order: r.Order, Address: r.Address, Bit: r.Bit,
	}))
}
