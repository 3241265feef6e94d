package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Modbus protocol limits on one read request.
const (
	// MaxRegisters is the most registers one read may ask for
	// (Modbus: at most 125 registers per read, function codes 3 and 4).
	MaxRegisters = 125
	// MaxBits is the most coils or discrete inputs one read may ask for
	// (Modbus: at most 2000 bits per read, function codes 1 and 2).
	MaxBits = 2000
)

// ErrShort means the response data does not hold the value asked for.
var ErrShort = errors.New("response too short")

// Field is where and how one value is stored on a device.
type Field struct {
	Table   Table
	Address uint16
	Type    Type
	Order   Order
	// Bit selects bit n (0 = least significant) of a register for a Bool
	// in a register table; -1 when unused.
	Bit int
}

// Width is how many registers (register tables) or bits (bit tables) the
// field occupies.
func (f Field) Width() int {
	if f.Table.IsBits() {
		return 1
	}
	return f.Type.Words()
}

// End is one past the field's last address, as an int so that a field at
// 65535 does not wrap.
func (f Field) End() int { return int(f.Address) + f.Width() }

// Check reports a field that no device could serve.
func (f Field) Check() error {
	switch {
	case f.Table.IsBits() && f.Type != Bool:
		return fmt.Errorf("table %s holds bits: type must be bool, not %s", f.Table, f.Type)
	case !f.Table.IsBits() && f.Type == Bool && (f.Bit < 0 || f.Bit > 15):
		return fmt.Errorf("bool in %s registers needs bit 0..15", f.Table)
	case f.Type != Bool && f.Bit >= 0:
		return fmt.Errorf("bit applies to type bool only, not %s", f.Type)
	case f.End() > 1<<16:
		return fmt.Errorf("address %d + %d registers passes 65535", f.Address, f.Width())
	}
	return nil
}

// Decode reads the field's raw value out of data, the payload of a read
// that started at address start (register bytes big-endian as on the
// wire; bits packed least significant first). Bools decode to 0 or 1.
// Integers above 2^53 lose precision as float64.
func (f Field) Decode(data []byte, start uint16) (float64, error) {
	if f.Address < start {
		return 0, fmt.Errorf("%s %d: before read start %d: %w", f.Table, f.Address, start, ErrShort)
	}
	off := int(f.Address - start)
	if f.Table.IsBits() {
		return decodeBit(data, off)
	}
	lo, hi := 2*off, 2*(off+f.Type.Words())
	if hi > len(data) {
		return 0, fmt.Errorf("%s %d: needs bytes %d..%d of %d: %w", f.Table, f.Address, lo, hi, len(data), ErrShort)
	}
	return f.decodeWords(normalize(data[lo:hi], f.orderFor()))
}

func decodeBit(data []byte, off int) (float64, error) {
	if off/8 >= len(data) {
		return 0, fmt.Errorf("bit %d of %d bytes: %w", off, len(data), ErrShort)
	}
	return float64(data[off/8] >> (off % 8) & 1), nil
}

// orderFor is the order that applies: single-register values only swap
// bytes, as there is no second word.
func (f Field) orderFor() Order {
	if f.Type.Words() == 1 && f.Order.byteSwap() {
		return BADC
	}
	if f.Type.Words() == 1 {
		return ABCD
	}
	return f.Order
}

// normalize returns a big-endian copy of b (even length) stored in order o.
func normalize(b []byte, o Order) []byte {
	out := make([]byte, len(b))
	words := len(b) / 2
	for i := range words {
		src := i
		if o.wordSwap() {
			src = words - 1 - i
		}
		hi, lo := b[2*src], b[2*src+1]
		if o.byteSwap() {
			hi, lo = lo, hi
		}
		out[2*i], out[2*i+1] = hi, lo
	}
	return out
}

// decodeWords reads a big-endian value of f's type.
func (f Field) decodeWords(b []byte) (float64, error) {
	switch f.Type {
	case Bool:
		return float64(binary.BigEndian.Uint16(b) >> f.Bit & 1), nil
	case Int16:
		return float64(int16(binary.BigEndian.Uint16(b))), nil
	case Uint16:
		return float64(binary.BigEndian.Uint16(b)), nil
	case Int32:
		return float64(int32(binary.BigEndian.Uint32(b))), nil
	case Uint32:
		return float64(binary.BigEndian.Uint32(b)), nil
	case Int64:
		return float64(int64(binary.BigEndian.Uint64(b))), nil
	case Uint64:
		return float64(binary.BigEndian.Uint64(b)), nil
	case Float32:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
	case Float64:
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	}
	return 0, fmt.Errorf("type %s cannot be decoded", f.Type)
}

// Encode returns the register bytes (wire order) that store raw value v in
// a register field, for writes and for the simulator. v is rounded to the
// nearest integer for integer types and must fit the type. A Bool register
// field (a bit) cannot be encoded alone.
func (f Field) Encode(v float64) ([]byte, error) {
	if f.Table.IsBits() || f.Type == Bool {
		return nil, fmt.Errorf("%s %d: bits are written as coils, not encoded", f.Table, f.Address)
	}
	b, err := encodeBigEndian(f.Type, v)
	if err != nil {
		return nil, err
	}
	return denormalize(b, f.orderFor()), nil
}

// denormalize turns big-endian b into order o; the swaps are their own
// inverses.
func denormalize(b []byte, o Order) []byte { return normalize(b, o) }

func encodeBigEndian(t Type, v float64) ([]byte, error) {
	if math.IsNaN(v) && t != Float32 && t != Float64 {
		return nil, fmt.Errorf("NaN does not fit %s", t)
	}
	b := make([]byte, 2*t.Words())
	r := math.Round(v)
	switch t {
	case Int16, Uint16, Int32, Uint32:
		lo, hi := intRange(t)
		if r < lo || r > hi {
			return nil, fmt.Errorf("%v out of range for %s", v, t)
		}
		if t.Words() == 1 {
			binary.BigEndian.PutUint16(b, uint16(int64(r)))
		} else {
			binary.BigEndian.PutUint32(b, uint32(int64(r)))
		}
	case Int64:
		if r < math.MinInt64 || r >= math.MaxInt64 {
			return nil, fmt.Errorf("%v out of range for %s", v, t)
		}
		binary.BigEndian.PutUint64(b, uint64(int64(r)))
	case Uint64:
		if r < 0 || r >= math.MaxUint64 {
			return nil, fmt.Errorf("%v out of range for %s", v, t)
		}
		binary.BigEndian.PutUint64(b, uint64(r))
	case Float32:
		binary.BigEndian.PutUint32(b, math.Float32bits(float32(v)))
	case Float64:
		binary.BigEndian.PutUint64(b, math.Float64bits(v))
	default:
		return nil, fmt.Errorf("type %s cannot be encoded", t)
	}
	return b, nil
}

func intRange(t Type) (lo, hi float64) {
	switch t {
	case Int16:
		return math.MinInt16, math.MaxInt16
	case Uint16:
		return 0, math.MaxUint16
	case Int32:
		return math.MinInt32, math.MaxInt32
	}
	return 0, math.MaxUint32
}
