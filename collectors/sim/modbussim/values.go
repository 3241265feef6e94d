package modbussim

import (
	"encoding/binary"
	"fmt"

	"facmon/collectors/modbus/codec"
)

// SetValue stores engineering-free raw value v in unit's field, encoded in
// the field's type and order: 0/1 for bits (coils, discrete inputs, or
// bit n of a register), numbers for registers.
func (s *Server) SetValue(unit uint8, f codec.Field, v float64) error {
	if err := f.Check(); err != nil {
		return fmt.Errorf("modbussim: unit %d %s %d: %w", unit, f.Table, f.Address, err)
	}
	switch {
	case f.Table.IsBits():
		return s.SetBits(unit, f.Table, f.Address, v != 0)
	case f.Type == codec.Bool:
		return s.setRegisterBit(unit, f, v != 0)
	}
	b, err := f.Encode(v)
	if err != nil {
		return fmt.Errorf("modbussim: unit %d %s %d: %w", unit, f.Table, f.Address, err)
	}
	words := make([]uint16, len(b)/2)
	for i := range words {
		words[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return s.SetRegisters(unit, f.Table, f.Address, words...)
}

// Value reads back unit's field as Decode sees it, e.g. after a write.
func (s *Server) Value(unit uint8, f codec.Field) (float64, error) {
	if f.Table.IsBits() {
		b, err := s.store.readBits(unit, f.Table, f.Address, 1)
		if err != nil {
			return 0, err
		}
		if b[0] {
			return 1, nil
		}
		return 0, nil
	}
	words, err := s.store.readRegs(unit, f.Table, f.Address, uint16(f.Width()))
	if err != nil {
		return 0, err
	}
	data := make([]byte, 0, 2*len(words))
	for _, w := range words {
		data = binary.BigEndian.AppendUint16(data, w)
	}
	return f.Decode(data, f.Address)
}

// SetRegisters stores raw words from addr on in a register table.
func (s *Server) SetRegisters(unit uint8, t codec.Table, addr uint16, words ...uint16) error {
	if t.IsBits() || int(addr)+len(words) > 1<<16 {
		return fmt.Errorf("modbussim: unit %d: cannot store %d registers at %s %d", unit, len(words), t, addr)
	}
	s.AddUnitIfMissing(unit)
	return s.store.writeRegs(unit, t, addr, words)
}

// SetBits stores bits from addr on in a bit table.
func (s *Server) SetBits(unit uint8, t codec.Table, addr uint16, bits ...bool) error {
	if !t.IsBits() || int(addr)+len(bits) > 1<<16 {
		return fmt.Errorf("modbussim: unit %d: cannot store %d bits at %s %d", unit, len(bits), t, addr)
	}
	s.AddUnitIfMissing(unit)
	return s.store.writeBits(unit, t, addr, bits)
}

// AddUnitIfMissing adds unit unless it is served already.
func (s *Server) AddUnitIfMissing(unit uint8) {
	s.store.mu.Lock()
	known := s.store.unit(unit, false) != nil
	s.store.mu.Unlock()
	if !known {
		s.AddUnit(unit)
	}
}

func (s *Server) setRegisterBit(unit uint8, f codec.Field, on bool) error {
	s.AddUnitIfMissing(unit)
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	regs := s.store.unit(unit, true).regs[regIndex(f.Table)]
	w := regs[f.Address]
	mask := uint16(1) << f.Bit
	if f.Order == codec.BADC || f.Order == codec.DCBA {
		mask = mask<<8 | mask>>8
	}
	if on {
		w |= mask
	} else {
		w &^= mask
	}
	regs[f.Address] = w
	return nil
}
