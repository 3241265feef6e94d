package site

import (
	"net"
	"slices"
	"strings"
)

// Modbus enumerations, as the site file writes them.
var (
	// Transports are the gateway transports.
	Transports = []string{"tcp", "rtu", "rtu-over-tcp"}
	// Tables are the Modbus data tables.
	Tables = []string{"coil", "discrete", "holding", "input"}
	// RegisterTypes are the value types a register can hold.
	RegisterTypes = []string{"bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"}
	// Orders are the word and byte orders of multi-register values.
	Orders = []string{"ABCD", "CDAB", "BADC", "DCBA"}
)

// oneOf formats a list of allowed values for a message.
func oneOf(vals []string) string { return strings.Join(vals, ", ") }

// Words returns how many 16-bit registers a value of the register's type
// takes (1 for bool and for coils and discrete inputs).
func (r *Register) Words() int {
	switch r.Type {
	case "int32", "uint32", "float32":
		return 2
	case "int64", "uint64", "float64":
		return 4
	}
	return 1
}

// IsBitTable reports whether the register is a coil or discrete input.
func (r *Register) IsBitTable() bool { return r.Table == "coil" || r.Table == "discrete" }

// checkGateways checks the Modbus gateways.
func (c *checker) checkGateways() {
	seen := map[string]Pos{}
	for i := range c.site.Modbus.Gateways {
		g := &c.site.Modbus.Gateways[i]
		ctx := "modbus: " + label("gateway", g.ID, i)
		c.checkID(g, "id", g.ID, g.Pos, ctx)
		c.unique(seen, g.ID, c.at(g, "id", g.Pos), ctx)
		c.checkTransport(g, ctx)
		if g.MaxGap != nil && (*g.MaxGap < 0 || *g.MaxGap > 120) {
			c.errf(c.at(g, "max_gap", g.Pos), "%s: max_gap must be 0..120 (Modbus reads at most 125 registers)", ctx)
		}
		c.checkPositive(g, "timeout", int64(g.Timeout), g.Pos, ctx)
	}
}

// checkTransport checks a gateway's transport, address and serial line.
func (c *checker) checkTransport(g *Gateway, ctx string) {
	switch {
	case g.Transport == "":
		if c.unreported(g, "transport") {
			c.errf(g.Pos, "%s: transport missing (%s)", ctx, oneOf(Transports))
		}
		return
	case !slices.Contains(Transports, g.Transport):
		c.errf(c.at(g, "transport", g.Pos), "%s: transport %s unknown (want %s)", ctx, quote(g.Transport), oneOf(Transports))
		return
	case g.Address == "":
		if c.unreported(g, "address") {
			c.errf(g.Pos, "%s: address missing", ctx)
		}
		return
	}
	if g.Transport == "rtu" {
		c.checkSerial(g, ctx)
		return
	}
	if _, port, err := net.SplitHostPort(g.Address); err != nil || port == "" {
		c.errf(c.at(g, "address", g.Pos), "%s: address %s is not host:port", ctx, quote(g.Address))
	}
}

// checkSerial checks the serial-line settings of an RTU gateway.
func (c *checker) checkSerial(g *Gateway, ctx string) {
	c.checkPositive(g, "baud_rate", int64(g.BaudRate), g.Pos, ctx)
	if c.has(g, "data_bits") && (g.DataBits < 5 || g.DataBits > 8) {
		c.errf(c.at(g, "data_bits", g.Pos), "%s: data_bits must be 5..8", ctx)
	}
	if c.has(g, "stop_bits") && g.StopBits != 1 && g.StopBits != 2 {
		c.errf(c.at(g, "stop_bits", g.Pos), "%s: stop_bits must be 1 or 2", ctx)
	}
	if c.has(g, "parity") && !slices.Contains([]string{"N", "E", "O"}, g.Parity) {
		c.errf(c.at(g, "parity", g.Pos), "%s: parity %s unknown (want N, E or O)", ctx, quote(g.Parity))
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
	g := c.checkDeviceGateway(m, ctx)
	minUnit := 0
	if g != nil && g.Transport != "tcp" {
		minUnit = 1 // unit 0 is broadcast on a serial line: nobody answers
	}
	switch {
	case c.bad[fieldRef{m, "unit"}]:
	case !c.has(m, "unit") && minUnit == 1:
		c.errf(m.Pos, "%s: unit missing (1..247 on a serial line)", ctx)
	case m.Unit < minUnit || m.Unit > 247:
		c.errf(c.at(m, "unit", m.Pos), "%s: unit %d out of range %d..247", ctx, m.Unit, minUnit)
	}
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
func (c *checker) checkRegister(d *Device, sg *Signal, ctx string) {
	r := sg.Modbus
	if r == nil {
		return
	}
	ctx += ": modbus"
	c.checkTable(r, ctx)
	switch {
	case r.Address < 0 || r.Address > 65535:
		c.errf(c.at(r, "address", r.Pos), "%s: address %d out of range 0..65535", ctx, r.Address)
	case r.Address+r.Words()-1 > 65535:
		c.errf(c.at(r, "address", r.Pos), "%s: address %d: a %s takes %d registers and runs past 65535", ctx, r.Address, r.Type, r.Words())
	}
	if r.Order != "" && !slices.Contains(Orders, r.Order) {
		c.errf(c.at(r, "order", r.Pos), "%s: order %s unknown (want %s)", ctx, quote(r.Order), oneOf(Orders))
	}
	c.checkBit(r, ctx)
}

// checkTable checks the table and the type that fits it.
func (c *checker) checkTable(r *Register, ctx string) {
	switch {
	case r.Table == "":
		if c.unreported(r, "table") {
			c.errf(r.Pos, "%s: table missing (%s)", ctx, oneOf(Tables))
		}
	case !slices.Contains(Tables, r.Table):
		c.errf(c.at(r, "table", r.Pos), "%s: table %s unknown (want %s)", ctx, quote(r.Table), oneOf(Tables))
	}
	switch {
	case r.Type == "" && !r.IsBitTable() && c.unreported(r, "type"):
		c.errf(r.Pos, "%s: type missing (%s)", ctx, oneOf(RegisterTypes))
	case r.Type == "":
	case !slices.Contains(RegisterTypes, r.Type):
		c.errf(c.at(r, "type", r.Pos), "%s: type %s unknown (want %s)", ctx, quote(r.Type), oneOf(RegisterTypes))
	case r.IsBitTable() && r.Type != "bool":
		c.errf(c.at(r, "type", r.Pos), "%s: type %s not possible in table %s (only bool)", ctx, quote(r.Type), r.Table)
	}
}

// checkBit checks bit selection: only in 16-bit registers, and needed for
// bool values there.
func (c *checker) checkBit(r *Register, ctx string) {
	if r.Bit == nil {
		if r.Type == "bool" && c.unreported(r, "bit") && (r.Table == "holding" || r.Table == "input") {
			c.errf(r.Pos, "%s: type bool in table %s needs bit (0..15)", ctx, r.Table)
		}
		return
	}
	p := c.at(r, "bit", r.Pos)
	switch {
	case r.IsBitTable():
		c.errf(p, "%s: bit only applies to holding and input registers", ctx)
	case *r.Bit < 0 || *r.Bit > 15:
		c.errf(p, "%s: bit %d out of range 0..15", ctx, *r.Bit)
	case r.Type != "" && r.Type != "bool":
		c.errf(p, "%s: bit needs type bool, not %s", ctx, r.Type)
	}
}
