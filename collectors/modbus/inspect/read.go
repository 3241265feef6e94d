// Package inspect reads an unknown Modbus device for an engineer: one read
// shown as raw words and decoded in every type and byte order (Read), a
// polite survey of which units and address ranges answer (Probe), and a
// ready site-file devices: block for the signals the engineer names
// (Snippet). It only reads. It reaches devices through the collector's
// Client (collectors/modbus) and decodes through collectors/modbus/codec,
// the one owner of Modbus framing and decoding.
package inspect

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"facmon/collectors/modbus"
	"facmon/collectors/modbus/codec"
)

// Request is one read.
type Request struct {
	Unit    byte
	Table   codec.Table
	Start   uint16
	Count   int
	Timeout time.Duration
}

// Check reports a request no device could answer.
func (r Request) Check() error {
	limit := codec.MaxRegisters
	if r.Table.IsBits() {
		limit = codec.MaxBits
	}
	switch {
	case r.Count < 1 || r.Count > limit:
		return fmt.Errorf("count %d: a %s read takes 1..%d", r.Count, r.Table, limit)
	case int(r.Start)+r.Count > 1<<16:
		return fmt.Errorf("start %d + count %d passes address 65535", r.Start, r.Count)
	}
	return nil
}

// Reading is the answer to one read.
type Reading struct {
	Request
	// Data is the response payload: registers big-endian as on the wire,
	// bits packed least significant first.
	Data []byte
}

// Read performs one read.
func Read(c modbus.Client, r Request) (*Reading, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	data, err := c.Read(r.Unit, r.Table, r.Start, uint16(r.Count), r.Timeout)
	if err != nil {
		return nil, fmt.Errorf("unit %d %s %d..%d: %w", r.Unit, r.Table, r.Start, int(r.Start)+r.Count-1, err)
	}
	return &Reading{Request: r, Data: data}, nil
}

// Ref is the 1-based "Modicon" reference of a 0-based address: 40001 for
// holding register 0, 30001 input, 10001 discrete, 00001 coil; six digits
// (400001) from address 9999 on.
func Ref(t codec.Table, addr uint16) string {
	prefix := map[codec.Table]int{codec.Coil: 0, codec.Discrete: 1, codec.Input: 3, codec.Holding: 4}[t]
	if addr < 9999 {
		return fmt.Sprintf("%d%04d", prefix, int(addr)+1)
	}
	return fmt.Sprintf("%d%05d", prefix, int(addr)+1)
}

// Decode decodes the value of type t in order o at addr out of the
// reading, through the collector's codec.
func (r *Reading) Decode(addr uint16, t codec.Type, o codec.Order) (float64, error) {
	f := codec.Field{Table: r.Table, Address: addr, Type: t, Order: o, Bit: -1}
	return f.Decode(r.Data, r.Start)
}

// value decodes one field of the reading, or returns "-".
func (r *Reading) value(addr uint16, t codec.Type, o codec.Order) string {
	v, err := r.Decode(addr, t, o)
	if err != nil {
		return "-"
	}
	if t == codec.Float32 || t == codec.Float64 {
		return strconv.FormatFloat(v, 'g', 7, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Write prints the reading: every address 0- and 1-based with its raw
// word and 16-bit values in both byte orders, then every 32-bit value
// starting at each address in the four orders.
func (r *Reading) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "unit %d, %s %d..%d (%d):\n", r.Unit, r.Table, r.Start, int(r.Start)+r.Count-1, r.Count)
	if r.Table.IsBits() {
		fmt.Fprintln(tw, "addr\tref\tvalue\t")
		for i := range r.Count {
			a := r.Start + uint16(i)
			fmt.Fprintf(tw, "%d\t%s\t%s\t\n", a, Ref(r.Table, a), r.value(a, codec.Bool, codec.ABCD))
		}
		return tw.Flush()
	}
	fmt.Fprintln(tw, "addr\tref\thex\tint16\tuint16\tint16 (BA)\tuint16 (BA)\t")
	for i := range r.Count {
		a := r.Start + uint16(i)
		hex := "-"
		if 2*i+2 <= len(r.Data) {
			hex = fmt.Sprintf("%02X%02X", r.Data[2*i], r.Data[2*i+1])
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", a, Ref(r.Table, a), hex,
			r.value(a, codec.Int16, codec.ABCD), r.value(a, codec.Uint16, codec.ABCD),
			r.value(a, codec.Int16, codec.BADC), r.value(a, codec.Uint16, codec.BADC))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return r.write32(w)
}

// write32 prints the 32-bit values of each register pair.
func (r *Reading) write32(w io.Writer) error {
	if r.Count < 2 {
		return nil
	}
	fmt.Fprintln(w, "\n32-bit values of registers N and N+1:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "addr\tref\torder\tint32\tuint32\tfloat32\t")
	for i := range r.Count - 1 {
		a := r.Start + uint16(i)
		for _, o := range []codec.Order{codec.ABCD, codec.CDAB, codec.BADC, codec.DCBA} {
			addr, ref := "", ""
			if o == codec.ABCD {
				addr, ref = fmt.Sprint(a), Ref(r.Table, a)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", addr, ref, o,
				r.value(a, codec.Int32, o), r.value(a, codec.Uint32, o), r.value(a, codec.Float32, o))
		}
	}
	return tw.Flush()
}
