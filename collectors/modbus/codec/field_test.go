package codec

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func h(b ...byte) []byte { return b }

// TestDecodeEveryTypeAndOrder checks each type in each order against bytes
// computed by hand from the value's big-endian form ABCD(EFGH). 64-bit
// integers stay below 2^53 so that they survive float64 both ways.
func TestDecodeEveryTypeAndOrder(t *testing.T) {
	pi32 := float64(math.Float32frombits(0x40490FDB))
	tests := []struct {
		name  string
		typ   Type
		order Order
		wire  []byte
		want  float64
	}{
		{"int16/ABCD", Int16, ABCD, h(0xFF, 0xFE), -2},
		{"int16/CDAB", Int16, CDAB, h(0xFF, 0xFE), -2},
		{"int16/BADC", Int16, BADC, h(0xFE, 0xFF), -2},
		{"int16/DCBA", Int16, DCBA, h(0xFE, 0xFF), -2},
		{"uint16/ABCD", Uint16, ABCD, h(0x12, 0x34), 0x1234},
		{"uint16/CDAB", Uint16, CDAB, h(0x12, 0x34), 0x1234},
		{"uint16/BADC", Uint16, BADC, h(0x34, 0x12), 0x1234},
		{"uint16/DCBA", Uint16, DCBA, h(0x34, 0x12), 0x1234},
		{"int32/ABCD", Int32, ABCD, h(0xF8, 0xA4, 0x32, 0xEB), -123456789},
		{"int32/CDAB", Int32, CDAB, h(0x32, 0xEB, 0xF8, 0xA4), -123456789},
		{"int32/BADC", Int32, BADC, h(0xA4, 0xF8, 0xEB, 0x32), -123456789},
		{"int32/DCBA", Int32, DCBA, h(0xEB, 0x32, 0xA4, 0xF8), -123456789},
		{"uint32/ABCD", Uint32, ABCD, h(0x12, 0x34, 0x56, 0x78), 0x12345678},
		{"uint32/CDAB", Uint32, CDAB, h(0x56, 0x78, 0x12, 0x34), 0x12345678},
		{"uint32/BADC", Uint32, BADC, h(0x34, 0x12, 0x78, 0x56), 0x12345678},
		{"uint32/DCBA", Uint32, DCBA, h(0x78, 0x56, 0x34, 0x12), 0x12345678},
		{"int64/ABCD", Int64, ABCD, h(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE), -2},
		{"int64/CDAB", Int64, CDAB, h(0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), -2},
		{"int64/BADC", Int64, BADC, h(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF), -2},
		{"int64/DCBA", Int64, DCBA, h(0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), -2},
		{"uint64/ABCD", Uint64, ABCD, h(0, 1, 2, 3, 4, 5, 6, 7), 0x0001020304050607},
		{"uint64/CDAB", Uint64, CDAB, h(6, 7, 4, 5, 2, 3, 0, 1), 0x0001020304050607},
		{"uint64/BADC", Uint64, BADC, h(1, 0, 3, 2, 5, 4, 7, 6), 0x0001020304050607},
		{"uint64/DCBA", Uint64, DCBA, h(7, 6, 5, 4, 3, 2, 1, 0), 0x0001020304050607},
		{"float32/ABCD", Float32, ABCD, h(0x40, 0x49, 0x0F, 0xDB), pi32},
		{"float32/CDAB", Float32, CDAB, h(0x0F, 0xDB, 0x40, 0x49), pi32},
		{"float32/BADC", Float32, BADC, h(0x49, 0x40, 0xDB, 0x0F), pi32},
		{"float32/DCBA", Float32, DCBA, h(0xDB, 0x0F, 0x49, 0x40), pi32},
		{"float64/ABCD", Float64, ABCD, h(0x40, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18), math.Pi},
		{"float64/CDAB", Float64, CDAB, h(0x2D, 0x18, 0x54, 0x44, 0x21, 0xFB, 0x40, 0x09), math.Pi},
		{"float64/BADC", Float64, BADC, h(0x09, 0x40, 0xFB, 0x21, 0x44, 0x54, 0x18, 0x2D), math.Pi},
		{"float64/DCBA", Float64, DCBA, h(0x18, 0x2D, 0x44, 0x54, 0xFB, 0x21, 0x09, 0x40), math.Pi},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Field{Table: Holding, Address: 10, Type: tc.typ, Order: tc.order, Bit: -1}
			// The value sits after one unrelated register in the response.
			data := append(h(0xAA, 0x55), tc.wire...)
			got, err := f.Decode(data, 9)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got != tc.want {
				t.Errorf("Decode = %v, want %v", got, tc.want)
			}
			enc, err := f.Encode(tc.want)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !bytes.Equal(enc, tc.wire) {
				t.Errorf("Encode = % x, want % x", enc, tc.wire)
			}
		})
	}
}

func TestDecodeBits(t *testing.T) {
	tests := []struct {
		name  string
		field Field
		data  []byte
		start uint16
		want  float64
	}{
		{"coil first bit", Field{Table: Coil, Address: 0, Type: Bool, Bit: -1}, h(0x01), 0, 1},
		{"coil ninth bit", Field{Table: Coil, Address: 8, Type: Bool, Bit: -1}, h(0xFF, 0x02), 0, 0},
		{"discrete tenth bit", Field{Table: Discrete, Address: 9, Type: Bool, Bit: -1}, h(0x00, 0x02), 0, 1},
		{"discrete offset start", Field{Table: Discrete, Address: 103, Type: Bool, Bit: -1}, h(0x08), 100, 1},
		{"register bit 15", Field{Table: Input, Address: 0, Type: Bool, Bit: 15}, h(0x80, 0x01), 0, 1},
		{"register bit 0", Field{Table: Input, Address: 0, Type: Bool, Bit: 0}, h(0x80, 0x01), 0, 1},
		{"register bit 1", Field{Table: Input, Address: 0, Type: Bool, Bit: 1}, h(0x80, 0x01), 0, 0},
		{"register bit 8", Field{Table: Holding, Address: 1, Type: Bool, Bit: 8}, h(0, 0, 0x01, 0x00), 0, 1},
		{"register bit in BADC", Field{Table: Holding, Address: 0, Type: Bool, Bit: 8, Order: BADC}, h(0x01, 0x00), 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.field.Decode(tc.data, tc.start)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got != tc.want {
				t.Errorf("Decode = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecodeShort(t *testing.T) {
	tests := []struct {
		name  string
		field Field
		data  []byte
		start uint16
	}{
		{"float64 in 3 registers", Field{Table: Holding, Type: Float64, Bit: -1}, make([]byte, 6), 0},
		{"odd byte count", Field{Table: Holding, Type: Uint16, Bit: -1}, h(1), 0},
		{"past the end", Field{Table: Input, Address: 5, Type: Uint16, Bit: -1}, make([]byte, 10), 0},
		{"before start", Field{Table: Input, Address: 1, Type: Uint16, Bit: -1}, make([]byte, 10), 2},
		{"bit past the end", Field{Table: Coil, Address: 8, Type: Bool, Bit: -1}, h(0xFF), 0},
		{"empty", Field{Table: Coil, Type: Bool, Bit: -1}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.field.Decode(tc.data, tc.start); !errors.Is(err, ErrShort) {
				t.Errorf("Decode error = %v, want ErrShort", err)
			}
		})
	}
}

func TestEncodeRange(t *testing.T) {
	tests := []struct {
		name string
		typ  Type
		v    float64
		ok   bool
	}{
		{"int16 max", Int16, 32767, true},
		{"int16 over", Int16, 32768, false},
		{"uint16 negative", Uint16, -1, false},
		{"uint16 rounds", Uint16, 41.6, true},
		{"uint32 over", Uint32, 1 << 32, false},
		{"int64 NaN", Int64, math.NaN(), false},
		{"uint64 negative", Uint64, -1, false},
		{"float32 NaN", Float32, math.NaN(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Field{Table: Holding, Type: tc.typ, Bit: -1}.Encode(tc.v)
			if (err == nil) != tc.ok {
				t.Errorf("Encode(%v) error = %v, want ok=%v", tc.v, err, tc.ok)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		field Field
		ok    bool
	}{
		{"coil bool", Field{Table: Coil, Type: Bool, Bit: -1}, true},
		{"coil int16", Field{Table: Coil, Type: Int16, Bit: -1}, false},
		{"register bool without bit", Field{Table: Holding, Type: Bool, Bit: -1}, false},
		{"register bit 16", Field{Table: Holding, Type: Bool, Bit: 16}, false},
		{"bit on int16", Field{Table: Holding, Type: Int16, Bit: 3}, false},
		{"float64 at 65533", Field{Table: Holding, Address: 65533, Type: Float64, Bit: -1}, false},
		{"float64 at 65532", Field{Table: Holding, Address: 65532, Type: Float64, Bit: -1}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.field.Check(); (err == nil) != tc.ok {
				t.Errorf("Check = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// FuzzDecode feeds arbitrary response bytes and field layouts to Decode: it
// must never panic, and a value that fits must decode without error.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x40, 0x49, 0x0F, 0xDB}, uint8(2), uint8(7), uint8(1), uint16(0), uint16(0), int8(-1))
	f.Add([]byte{0x01}, uint8(0), uint8(0), uint8(0), uint16(7), uint16(0), int8(-1))
	f.Add([]byte{}, uint8(3), uint8(8), uint8(3), uint16(65535), uint16(65530), int8(-1))
	f.Fuzz(func(t *testing.T, data []byte, table, typ, order uint8, addr, start uint16, bit int8) {
		fd := Field{Table: Table(table % 4), Address: addr, Type: Type(typ % 9), Order: Order(order % 4), Bit: int(bit)}
		if fd.Check() != nil {
			return
		}
		v, err := fd.Decode(data, start)
		if err != nil {
			return
		}
		if fd.Type == Bool && v != 0 && v != 1 {
			t.Fatalf("bool decoded to %v", v)
		}
	})
}

func TestParse(t *testing.T) {
	bit := func(n int) *int { return &n }
	tests := []struct {
		name              string
		table, typ, order string
		addr              int
		bit               *int
		want              Field
		wantErr           bool
	}{
		{"coil implies bool", "coil", "", "", 3, nil, Field{Table: Coil, Address: 3, Type: Bool, Bit: -1}, false},
		{"float32 word swap", "input", "float32", "CDAB", 10, nil, Field{Table: Input, Address: 10, Type: Float32, Order: CDAB, Bit: -1}, false},
		{"lower-case order", "holding", "int32", "dcba", 0, nil, Field{Table: Holding, Type: Int32, Order: DCBA, Bit: -1}, false},
		{"register bit", "holding", "bool", "", 7, bit(12), Field{Table: Holding, Address: 7, Type: Bool, Bit: 12}, false},
		{"register needs type", "holding", "", "", 0, nil, Field{}, true},
		{"negative address", "holding", "uint16", "", -1, nil, Field{}, true},
		{"bad table", "holdings", "uint16", "", 0, nil, Field{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.table, tc.typ, tc.order, tc.addr, tc.bit)
			if (err != nil) != tc.wantErr || (err == nil && got != tc.want) {
				t.Errorf("Parse = %+v, %v; want %+v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
