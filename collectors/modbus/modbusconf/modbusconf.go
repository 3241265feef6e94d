// Package modbusconf is the Modbus part of the site file's grammar: what a
// gateway, a device's unit id and a signal's register may be. It is the
// one check of those blocks: `facmon check` (internal/site) reports its
// problems at their file:line:col, and the Modbus collector refuses a site
// with the same problems when it is built, as a Telegraf plugin's Init
// does. It takes plain values and knows nothing of YAML or positions, so
// that internal/site can call it without an import cycle.
package modbusconf

import (
	"net"
	"slices"
	"strings"

	"facmon/collectors"
	"facmon/collectors/modbus/codec"
	"facmon/internal/yamlpos"
)

// Enumerations, as the site file writes them.
var (
	// Transports are the gateway transports.
	Transports = []string{"tcp", "rtu", "rtu-over-tcp"}
	// Tables are the Modbus data tables.
	Tables = []string{"coil", "discrete", "holding", "input"}
	// RegisterTypes are the value types a register can hold.
	RegisterTypes = []string{"bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"}
	// Orders are the word and byte orders of multi-register values.
	Orders = []string{"ABCD", "CDAB", "BADC", "DCBA"}
	// Parities are the serial-line parities.
	Parities = []string{"N", "E", "O"}
)

// Limits of the grammar.
const (
	// MaxGap bounds a gateway's max_gap: a read is at most 125 registers.
	MaxGap = 120
	// MaxUnit is the highest unit id: 248..255 are reserved on a serial
	// line, and a TCP gateway forwards to one.
	MaxUnit = 247
)

// Problem and Problems are the collectors' grammar problems.
type (
	Problem  = collectors.Problem
	Problems = collectors.Problems
)

// Gateway is a gateway as the site file writes it. Given says whether a
// key was written (for keys whose zero value is a mistake when written);
// nil counts non-zero values as written.
type Gateway struct {
	Transport, Address, Parity   string
	BaudRate, DataBits, StopBits int
	MaxGap                       *int
	Given                        func(key string) bool
}

func (g *Gateway) given(key string, set bool) bool {
	if g.Given != nil {
		return g.Given(key)
	}
	return set
}

// CheckGateway checks a gateway's transport, address, serial line and
// max_gap.
func CheckGateway(g Gateway) Problems {
	var ps Problems
	checkTransport(&ps, &g)
	if g.MaxGap != nil && (*g.MaxGap < 0 || *g.MaxGap > MaxGap) {
		ps.Add("max_gap", "max_gap must be 0..%d (Modbus reads at most 125 registers)", MaxGap)
	}
	return ps
}

func checkTransport(ps *Problems, g *Gateway) {
	switch {
	case g.Transport == "":
		ps.Add("transport", "transport missing (%s)", oneOf(Transports))
		return
	case !slices.Contains(Transports, g.Transport):
		ps.Add("transport", "transport %s unknown (want %s)", quote(g.Transport), oneOf(Transports))
		return
	case g.Address == "":
		ps.Add("address", "address missing")
		return
	}
	if g.Transport == "rtu" {
		checkSerial(ps, g)
		return
	}
	if _, port, err := net.SplitHostPort(g.Address); err != nil || port == "" {
		ps.Add("address", "address %s is not host:port", quote(g.Address))
	}
}

// checkSerial checks the serial-line settings of an RTU gateway.
func checkSerial(ps *Problems, g *Gateway) {
	if g.given("baud_rate", g.BaudRate != 0) && g.BaudRate <= 0 {
		ps.Add("baud_rate", "baud_rate must be greater than 0")
	}
	if g.given("data_bits", g.DataBits != 0) && (g.DataBits < 5 || g.DataBits > 8) {
		ps.Add("data_bits", "data_bits must be 5..8")
	}
	if g.given("stop_bits", g.StopBits != 0) && g.StopBits != 1 && g.StopBits != 2 {
		ps.Add("stop_bits", "stop_bits must be 1 or 2")
	}
	if g.given("parity", g.Parity != "") && !slices.Contains(Parities, g.Parity) {
		ps.Add("parity", "parity %s unknown (want N, E or O)", quote(g.Parity))
	}
}

// Serial reports whether a transport talks to a serial line, where unit 0
// is broadcast and nobody answers.
func Serial(transport string) bool { return transport == "rtu" || transport == "rtu-over-tcp" }

// CheckUnit checks a device's unit id behind a gateway of transport
// ("" when the gateway is unknown: only the common range is checked);
// given says whether unit was written.
func CheckUnit(transport string, unit int, given bool) Problems {
	var ps Problems
	minUnit := 0
	if Serial(transport) {
		minUnit = 1
	}
	switch {
	case !given && minUnit == 1:
		ps.Add("unit", "unit missing (1..%d on a serial line)", MaxUnit)
	case unit < minUnit || unit > MaxUnit:
		ps.Add("unit", "unit %d out of range %d..%d", unit, minUnit, MaxUnit)
	}
	return ps
}

// Register is where a signal lives on a Modbus device, as written.
type Register struct {
	Table, Type, Order string
	Address            int
	Bit                *int
}

// Words is how many 16-bit registers a value of the type takes (1 for bool
// and for coils and discrete inputs).
func Words(typ string) int {
	switch typ {
	case "int32", "uint32", "float32":
		return 2
	case "int64", "uint64", "float64":
		return 4
	}
	return 1
}

// IsBitTable reports whether table holds bits: coils and discrete inputs.
func IsBitTable(table string) bool { return table == "coil" || table == "discrete" }

// CheckRegister checks a register: table, type, address, order and bit.
func CheckRegister(r Register) Problems {
	var ps Problems
	checkTable(&ps, r)
	switch {
	case r.Address < 0 || r.Address > 65535:
		ps.Add("address", "address %d out of range 0..65535", r.Address)
	case r.Address+Words(r.Type)-1 > 65535:
		ps.Add("address", "address %d: a %s takes %d registers and runs past 65535", r.Address, r.Type, Words(r.Type))
	}
	if r.Order != "" && !slices.Contains(Orders, r.Order) {
		ps.Add("order", "order %s unknown (want %s)", quote(r.Order), oneOf(Orders))
	}
	checkBit(&ps, r)
	return ps
}

func checkTable(ps *Problems, r Register) {
	switch {
	case r.Table == "":
		ps.Add("table", "table missing (%s)", oneOf(Tables))
	case !slices.Contains(Tables, r.Table):
		ps.Add("table", "table %s unknown (want %s)", quote(r.Table), oneOf(Tables))
	}
	switch {
	case r.Type == "" && !IsBitTable(r.Table):
		ps.Add("type", "type missing (%s)", oneOf(RegisterTypes))
	case r.Type == "":
	case !slices.Contains(RegisterTypes, r.Type):
		ps.Add("type", "type %s unknown (want %s)", quote(r.Type), oneOf(RegisterTypes))
	case IsBitTable(r.Table) && r.Type != "bool":
		ps.Add("type", "type %s not possible in table %s (only bool)", quote(r.Type), r.Table)
	}
}

// checkBit checks bit selection: only in 16-bit registers, and needed for
// bool values there.
func checkBit(ps *Problems, r Register) {
	if r.Bit == nil {
		if r.Type == "bool" && (r.Table == "holding" || r.Table == "input") {
			ps.Add("bit", "type bool in table %s needs bit (0..15)", r.Table)
		}
		return
	}
	switch {
	case IsBitTable(r.Table):
		ps.Add("bit", "bit only applies to holding and input registers")
	case *r.Bit < 0 || *r.Bit > 15:
		ps.Add("bit", "bit %d out of range 0..15", *r.Bit)
	case r.Type != "" && r.Type != "bool":
		ps.Add("bit", "bit needs type bool, not %s", r.Type)
	}
}

// Field checks r and builds the codec field the collector polls.
func Field(r Register) (codec.Field, error) {
	if err := CheckRegister(r).Err(); err != nil {
		return codec.Field{}, err
	}
	return codec.Parse(r.Table, r.Type, r.Order, r.Address, r.Bit)
}

// oneOf lists the allowed values in a message.
func oneOf(vals []string) string { return strings.Join(vals, ", ") }

// quote quotes a value as the site file's messages do.
func quote(s string) string { return yamlpos.Quote(s) }
