package modbussim

import (
	mb "github.com/simonvetter/modbus"

	"facmon/collectors/modbus/codec"
)

// span is a mapped address range [from, to).
type span struct{ from, to int }

// MapRange declares that unit's table t holds count addresses from addr
// on. Once a table has a mapped range, a read that touches an address
// outside every mapped range is answered with exception 2 (illegal data
// address), as real devices with sparse register maps do; a table with
// none maps its whole address space.
func (s *Server) MapRange(unit uint8, t codec.Table, addr uint16, count int) {
	s.AddUnitIfMissing(unit)
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	u := s.store.unit(unit, true)
	u.mapped[t] = append(u.mapped[t], span{int(addr), int(addr) + count})
}

// mappedCheck returns exception 2 when [addr, addr+qty) leaves the mapped
// ranges of table t. The caller holds the store's lock.
func (u *unitData) mappedCheck(t codec.Table, addr, qty uint16) error {
	spans := u.mapped[t]
	if len(spans) == 0 {
		return nil
	}
	for a := int(addr); a < int(addr)+int(qty); a++ {
		in := false
		for _, sp := range spans {
			if a >= sp.from && a < sp.to {
				in = true
				break
			}
		}
		if !in {
			return mb.ErrIllegalDataAddress
		}
	}
	return nil
}
