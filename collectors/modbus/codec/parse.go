package codec

import "fmt"

// Parse builds a Field from site-file names: table, type (empty means bool
// in a bit table), order (empty means ABCD), address and, for a bool in a
// register table, bit. The field has passed Check.
func Parse(table, typ, order string, address int, bit *int) (Field, error) {
	t, err := ParseTable(table)
	if err != nil {
		return Field{}, err
	}
	ty := Bool
	if typ != "" || !t.IsBits() {
		if ty, err = ParseType(typ); err != nil {
			return Field{}, err
		}
	}
	o, err := ParseOrder(order)
	if err != nil {
		return Field{}, err
	}
	if address < 0 || address > 65535 {
		return Field{}, fmt.Errorf("address %d outside 0..65535", address)
	}
	f := Field{Table: t, Address: uint16(address), Type: ty, Order: o, Bit: -1}
	if bit != nil {
		f.Bit = *bit
	}
	return f, f.Check()
}
