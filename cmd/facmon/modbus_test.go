package main

import (
	"bytes"
	"strings"
	"testing"

	"facmon/collectors/modbus/codec"
	"facmon/collectors/sim/modbussim"
)

// TestModbusReadAndProbe runs facmon modbus read and probe against the
// simulator.
func TestModbusReadAndProbe(t *testing.T) {
	s, err := modbussim.Start(t.Context(), modbussim.Options{Units: []uint8{2}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetRegisters(2, codec.Holding, 100, 1234, 0x4148, 0); err != nil {
		t.Fatal(err)
	}
	s.MapRange(2, codec.Holding, 100, 3)
	var out, errb bytes.Buffer
	if code := dispatch([]string{"modbus", "read", "--address", s.Addr(), "--unit", "2", "--start", "100", "--count", "3"}, &out, &errb); code != 0 {
		t.Fatalf("read: exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"unit 2, holding 100..102", "40101", "1234", "12.5"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("read output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	errb.Reset()
	args := []string{"modbus", "probe", "--address", s.Addr(), "--unit", "1-2", "--start", "98", "--count", "6", "--interval", "1ms",
		"--site-snippet", "--signal", "level=holding:100:uint16:0.01:m", "--device", "tank-9", "--area", "pump-room"}
	if code := dispatch(args, &out, &errb); code != 0 {
		t.Fatalf("probe: exit %d: %s\n%s", code, errb.String(), out.String())
	}
	for _, want := range []string{"unit 1: no answer", "unit 2: answers", "holding 98..99 (40099..40100, 2): illegal address",
		"holding 100..102 (40101..40103, 3): answers", "holding 103..103 (40104..40104, 1): illegal address",
		"  - id: tank-9", "modbus: {gateway: gateway-1, unit: 2}", "# read raw 1234 → 12.34 m"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("probe output lacks %q:\n%s", want, out.String())
		}
	}
	if code := dispatch([]string{"modbus", "probe", "--address", s.Addr(), "--signal", "level=holdng:1"}, &out, &errb); code != 2 ||
		!strings.Contains(errb.String(), `table "holdng" unknown`) {
		t.Errorf("bad --signal: exit %d, %s", code, errb.String())
	}
}
