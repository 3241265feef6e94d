package modbus

import (
	"cmp"
	"slices"

	"facmon/collectors/modbus/codec"
)

// Request is one read of a contiguous range of one table.
type Request struct {
	Table codec.Table
	Start uint16
	Count uint16
	// Fields are the indexes, into the slice given to Plan, of the fields
	// this read serves, in address order.
	Fields []int
}

// End is one past the request's last address.
func (r Request) End() int { return int(r.Start) + int(r.Count) }

// limit is the protocol's cap on one read of table t.
func limit(t codec.Table) int {
	if t.IsBits() {
		return codec.MaxBits
	}
	return codec.MaxRegisters
}

// Plan returns the fewest reads that cover every field: per table, fields
// sorted by address are packed greedily into one read while the read stays
// within the protocol limit and the unused span between two fields is at
// most maxGap. Greedy packing of sorted, unsplittable ranges is optimal for
// the count of reads, and the word and byte order of a value play no part:
// a read fetches raw registers, decoding comes after. Fields must have
// passed Field.Check.
func Plan(fields []codec.Field, maxGap int) []Request {
	order := make([]int, len(fields))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		fa, fb := fields[a], fields[b]
		return cmp.Or(cmp.Compare(fa.Table, fb.Table), cmp.Compare(fa.Address, fb.Address), cmp.Compare(fa.End(), fb.End()))
	})
	var reqs []Request
	var cur *Request
	for _, i := range order {
		f := fields[i]
		if cur != nil && fits(*cur, f, maxGap) {
			cur.Count = uint16(max(cur.End(), f.End()) - int(cur.Start))
			cur.Fields = append(cur.Fields, i)
			continue
		}
		reqs = append(reqs, Request{Table: f.Table, Start: f.Address, Count: uint16(f.Width()), Fields: []int{i}})
		cur = &reqs[len(reqs)-1]
	}
	return reqs
}

// fits says whether read r can be stretched to cover f.
func fits(r Request, f codec.Field, maxGap int) bool {
	if r.Table != f.Table {
		return false
	}
	gap := int(f.Address) - r.End()
	span := max(r.End(), f.End()) - int(r.Start)
	return gap <= maxGap && span <= limit(r.Table)
}
