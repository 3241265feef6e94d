package modbus

import (
	"fmt"
	"reflect"
	"testing"

	"facmon/collectors/modbus/codec"
)

func reg(t codec.Table, addr uint16, typ codec.Type) codec.Field {
	return codec.Field{Table: t, Address: addr, Type: typ, Bit: -1}
}

func bitOf(addr uint16, bit int) codec.Field {
	return codec.Field{Table: codec.Holding, Address: addr, Type: codec.Bool, Bit: bit}
}

// span is a request without its field list, for compact expectations.
type span struct {
	Table        codec.Table
	Start, Count int
}

func spans(reqs []Request) []span {
	out := make([]span, len(reqs))
	for i, r := range reqs {
		out[i] = span{r.Table, int(r.Start), int(r.Count)}
	}
	return out
}

func TestPlan(t *testing.T) {
	H, I, C, D := codec.Holding, codec.Input, codec.Coil, codec.Discrete
	u16, f32, f64 := codec.Uint16, codec.Float32, codec.Float64
	// 122 contiguous uint16 then a float64 at 122..125: the float64 would
	// make the read 126 registers long.
	straddle := make([]codec.Field, 0, 123)
	for a := range uint16(122) {
		straddle = append(straddle, reg(H, a, u16))
	}
	straddle = append(straddle, reg(H, 122, f64))
	full := make([]codec.Field, 0, 125)
	for a := range uint16(125) {
		full = append(full, reg(I, a, u16))
	}
	coils := make([]codec.Field, 0, 2001)
	for a := range uint16(2001) {
		coils = append(coils, reg(C, a, codec.Bool))
	}
	tests := []struct {
		name   string
		fields []codec.Field
		maxGap int
		want   []span
	}{
		{"empty", nil, 10, []span{}},
		{"adjacent merge with gap 0", []codec.Field{reg(H, 0, u16), reg(H, 1, f32), reg(H, 3, u16)}, 0, []span{{H, 0, 4}}},
		{"gap equal to max merges", []codec.Field{reg(H, 0, u16), reg(H, 11, u16)}, 10, []span{{H, 0, 12}}},
		{"gap above max splits", []codec.Field{reg(H, 0, u16), reg(H, 12, u16)}, 10, []span{{H, 0, 1}, {H, 12, 1}}},
		{"unsorted input", []codec.Field{reg(H, 20, f32), reg(H, 0, u16), reg(H, 10, u16)}, 10, []span{{H, 0, 22}}},
		{"mixed tables never merge", []codec.Field{reg(H, 0, u16), reg(I, 1, u16), reg(C, 0, codec.Bool), reg(D, 0, codec.Bool), reg(H, 1, u16)}, 10,
			[]span{{C, 0, 1}, {D, 0, 1}, {H, 0, 2}, {I, 1, 1}}},
		{"125 registers in one read", full, 0, []span{{I, 0, 125}}},
		{"126th register starts a read", append(full[:125:125], reg(I, 125, u16)), 0, []span{{I, 0, 125}, {I, 125, 1}}},
		{"float64 straddling 125 moves whole", straddle, 0, []span{{H, 0, 122}, {H, 122, 4}}},
		{"gap merge capped by 125", []codec.Field{reg(H, 0, u16), reg(H, 122, f64)}, 200, []span{{H, 0, 1}, {H, 122, 4}}},
		{"gap merge up to 125", []codec.Field{reg(H, 0, u16), reg(H, 121, f64)}, 200, []span{{H, 0, 125}}},
		{"bits of one register share it", []codec.Field{bitOf(5, 0), bitOf(5, 15), reg(H, 5, u16)}, 0, []span{{H, 5, 1}}},
		{"overlapping float and its low word", []codec.Field{reg(H, 0, f32), reg(H, 1, u16)}, 0, []span{{H, 0, 2}}},
		{"2000 coils then one more", coils, 0, []span{{C, 0, 2000}, {C, 2000, 1}}},
		{"top of the address space", []codec.Field{reg(H, 65531, f64), reg(H, 65535, u16)}, 0, []span{{H, 65531, 5}}},
		{"orders do not split", []codec.Field{
			{Table: H, Address: 0, Type: f32, Order: codec.CDAB, Bit: -1},
			{Table: H, Address: 2, Type: f32, Order: codec.DCBA, Bit: -1},
			{Table: H, Address: 4, Type: f64, Order: codec.BADC, Bit: -1},
		}, 0, []span{{H, 0, 8}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reqs := Plan(tc.fields, tc.maxGap)
			if got := spans(reqs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plan =\n%v\nwant\n%v", got, tc.want)
			}
			checkCovers(t, tc.fields, reqs)
		})
	}
}

// checkCovers asserts that every field is served by exactly one read that
// holds it whole, within the protocol limits.
func checkCovers(t *testing.T, fields []codec.Field, reqs []Request) {
	t.Helper()
	seen := make(map[int]int)
	for _, r := range reqs {
		if int(r.Count) > limit(r.Table) || r.Count == 0 {
			t.Errorf("read %v of %d exceeds the protocol limit", r.Table, r.Count)
		}
		for _, i := range r.Fields {
			f := fields[i]
			seen[i]++
			if f.Table != r.Table || f.Address < r.Start || f.End() > r.End() {
				t.Errorf("field %d (%v %d) not inside read %v %d+%d", i, f.Table, f.Address, r.Table, r.Start, r.Count)
			}
		}
	}
	for i := range fields {
		if seen[i] != 1 {
			t.Errorf("field %d served %d times", i, seen[i])
		}
	}
}

// TestPlanMixedDevice is the benchmark's device map: 100 signals of mixed
// types and orders, 50 per register table, cost the protocol minimum of 2.
func TestPlanMixedDevice(t *testing.T) {
	fields := mixedMap()
	if got := len(Plan(fields, 0)); got != 2 {
		t.Errorf("mixed map takes %d reads, want 2", got)
	}
}

// mixedMap is 100 signals: in each of holding and input, 50 values cycling
// uint16, int32 CDAB, float32 BADC, float64 DCBA, int16 ABCD (100 registers).
func mixedMap() []codec.Field {
	pattern := []codec.Field{
		{Type: codec.Uint16}, {Type: codec.Int32, Order: codec.CDAB}, {Type: codec.Float32, Order: codec.BADC},
		{Type: codec.Float64, Order: codec.DCBA}, {Type: codec.Int16},
	}
	var out []codec.Field
	for _, table := range []codec.Table{codec.Holding, codec.Input} {
		addr := uint16(0)
		for i := range 50 {
			f := pattern[i%len(pattern)]
			f.Table, f.Address, f.Bit = table, addr, -1
			addr += uint16(f.Width())
			out = append(out, f)
		}
	}
	if len(out) != 100 {
		panic(fmt.Sprint("mixedMap has ", len(out)))
	}
	return out
}
