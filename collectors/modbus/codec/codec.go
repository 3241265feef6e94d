// Package codec turns Modbus register and bit data into numbers and back:
// the four tables, the value types (bool, bit n of a register, 16/32/64-bit
// integers and IEEE floats) and the word and byte orders devices use. It is
// shared by the Modbus collector and the Modbus simulator, and it trusts no
// input: every access to response bytes is bounds-checked.
package codec

import (
	"fmt"
	"strings"
)

// Table is one of the four Modbus data tables.
type Table uint8

// Modbus tables.
const (
	Coil Table = iota
	Discrete
	Holding
	Input
)

// String returns the table's site-file name, or "unknown".
func (t Table) String() string {
	switch t {
	case Coil:
		return "coil"
	case Discrete:
		return "discrete"
	case Holding:
		return "holding"
	case Input:
		return "input"
	}
	return "unknown"
}

// IsBits says whether the table holds single bits (coils, discrete inputs)
// rather than 16-bit registers.
func (t Table) IsBits() bool { return t == Coil || t == Discrete }

// ParseTable reads a site-file table name.
func ParseTable(s string) (Table, error) {
	for t := Coil; t <= Input; t++ {
		if t.String() == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("table %q unknown (want coil, discrete, holding or input)", s)
}

// Type is how a value is stored in registers.
type Type uint8

// Value types.
const (
	Bool Type = iota
	Int16
	Uint16
	Int32
	Uint32
	Int64
	Uint64
	Float32
	Float64
)

var typeNames = [...]string{"bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"}

// String returns the type's site-file name, or "unknown".
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType reads a site-file type name.
func ParseType(s string) (Type, error) {
	for i, n := range typeNames {
		if n == s {
			return Type(i), nil
		}
	}
	return 0, fmt.Errorf("type %q unknown (want one of %s)", s, strings.Join(typeNames[:], ", "))
}

// Words is how many 16-bit registers a value of type t occupies.
func (t Type) Words() int {
	switch t {
	case Int32, Uint32, Float32:
		return 2
	case Int64, Uint64, Float64:
		return 4
	}
	return 1
}

// Order is the word and byte order of a value, named after where the bytes
// A (most significant) to D of a 32-bit big-endian value end up on the wire.
// For 64-bit values the same rule extends: word swap reverses the order of
// all four words, byte swap swaps the bytes inside each word.
type Order uint8

// Orders.
const (
	// ABCD is big-endian words, big-endian bytes (the Modbus default).
	ABCD Order = iota
	// CDAB is little-endian words, big-endian bytes ("word swap").
	CDAB
	// BADC is big-endian words, little-endian bytes ("byte swap").
	BADC
	// DCBA is fully little-endian.
	DCBA
)

var orderNames = [...]string{"ABCD", "CDAB", "BADC", "DCBA"}

// String returns the order's name, or "unknown".
func (o Order) String() string {
	if int(o) < len(orderNames) {
		return orderNames[o]
	}
	return "unknown"
}

// ParseOrder reads a site-file order; empty means ABCD.
func ParseOrder(s string) (Order, error) {
	if s == "" {
		return ABCD, nil
	}
	for i, n := range orderNames {
		if n == strings.ToUpper(s) {
			return Order(i), nil
		}
	}
	return 0, fmt.Errorf("order %q unknown (want ABCD, CDAB, BADC or DCBA)", s)
}

func (o Order) wordSwap() bool { return o == CDAB || o == DCBA }
func (o Order) byteSwap() bool { return o == BADC || o == DCBA }
