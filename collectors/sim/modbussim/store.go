package modbussim

import (
	"sync"

	mb "github.com/simonvetter/modbus"

	"facmon/collectors/modbus/codec"
)

// unitData is one slave's four tables. Addresses never set read as zero,
// as on devices that map their whole address space.
type unitData struct {
	bits [2]map[uint16]bool   // coil, discrete
	regs [2]map[uint16]uint16 // holding, input
	// mapped are the readable ranges per table (mapped.go); none: all.
	mapped [4][]span
}

func newUnitData() *unitData {
	u := &unitData{}
	for i := range u.bits {
		u.bits[i] = make(map[uint16]bool)
		u.regs[i] = make(map[uint16]uint16)
	}
	return u
}

// store holds the data of every unit behind the listener and answers the
// simonvetter server's requests from it.
type store struct {
	mu    sync.Mutex
	units map[uint8]*unitData
}

func newStore() *store { return &store{units: make(map[uint8]*unitData)} }

func (s *store) unit(id uint8, create bool) *unitData {
	u := s.units[id]
	if u == nil && create {
		u = newUnitData()
		s.units[id] = u
	}
	return u
}

func bitIndex(t codec.Table) int {
	if t == codec.Discrete {
		return 1
	}
	return 0
}

func regIndex(t codec.Table) int {
	if t == codec.Input {
		return 1
	}
	return 0
}

// readBits returns qty bits of table t from addr, or an exception for an
// unknown unit.
func (s *store) readBits(unit uint8, t codec.Table, addr, qty uint16) ([]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.unit(unit, false)
	if u == nil {
		return nil, mb.ErrGWTargetFailedToRespond
	}
	if err := u.mappedCheck(t, addr, qty); err != nil {
		return nil, err
	}
	out := make([]bool, qty)
	for i := range out {
		out[i] = u.bits[bitIndex(t)][addr+uint16(i)]
	}
	return out, nil
}

func (s *store) readRegs(unit uint8, t codec.Table, addr, qty uint16) ([]uint16, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.unit(unit, false)
	if u == nil {
		return nil, mb.ErrGWTargetFailedToRespond
	}
	if err := u.mappedCheck(t, addr, qty); err != nil {
		return nil, err
	}
	out := make([]uint16, qty)
	for i := range out {
		out[i] = u.regs[regIndex(t)][addr+uint16(i)]
	}
	return out, nil
}

func (s *store) writeBits(unit uint8, t codec.Table, addr uint16, vals []bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.unit(unit, false)
	if u == nil {
		return mb.ErrGWTargetFailedToRespond
	}
	for i, v := range vals {
		u.bits[bitIndex(t)][addr+uint16(i)] = v
	}
	return nil
}

func (s *store) writeRegs(unit uint8, t codec.Table, addr uint16, vals []uint16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.unit(unit, false)
	if u == nil {
		return mb.ErrGWTargetFailedToRespond
	}
	for i, v := range vals {
		u.regs[regIndex(t)][addr+uint16(i)] = v
	}
	return nil
}

// HandleCoils serves function codes 1, 5 and 15.
func (s *store) HandleCoils(req *mb.CoilsRequest) ([]bool, error) {
	if req.IsWrite {
		return nil, s.writeBits(req.UnitId, codec.Coil, req.Addr, req.Args)
	}
	return s.readBits(req.UnitId, codec.Coil, req.Addr, req.Quantity)
}

// HandleDiscreteInputs serves function code 2.
func (s *store) HandleDiscreteInputs(req *mb.DiscreteInputsRequest) ([]bool, error) {
	return s.readBits(req.UnitId, codec.Discrete, req.Addr, req.Quantity)
}

// HandleHoldingRegisters serves function codes 3, 6 and 16.
func (s *store) HandleHoldingRegisters(req *mb.HoldingRegistersRequest) ([]uint16, error) {
	if req.IsWrite {
		return nil, s.writeRegs(req.UnitId, codec.Holding, req.Addr, req.Args)
	}
	return s.readRegs(req.UnitId, codec.Holding, req.Addr, req.Quantity)
}

// HandleInputRegisters serves function code 4.
func (s *store) HandleInputRegisters(req *mb.InputRegistersRequest) ([]uint16, error) {
	return s.readRegs(req.UnitId, codec.Input, req.Addr, req.Quantity)
}
