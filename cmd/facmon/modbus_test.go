package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
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

// TestModbusReadFromSiteFile takes the gateway (RTU framing over TCP) and
// its timeout from a site file.
func TestModbusReadFromSiteFile(t *testing.T) {
	s, err := modbussim.Start(t.Context(), modbussim.Options{Framing: modbussim.RTUOverTCP, Units: []uint8{30}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetRegisters(30, codec.Input, 7, 0xFFFF); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "site.yaml")
	site := "site: t\ntimezone: UTC\nareas: [{id: a}]\nmodbus:\n  gateways: [{id: meters, transport: rtu-over-tcp, address: " + s.Addr() + ", timeout: 2s}]\ndevices: []\n"
	if err := os.WriteFile(path, []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := dispatch([]string{"modbus", "read", "--config", path, "--gateway", "meters", "--unit", "30", "--table", "input", "--start", "7", "--count", "1"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !regexp.MustCompile(`(?m)^\s+7\s+30008\s+FFFF\s+-1\s+65535\s+-1\s+65535\s*$`).MatchString(out.String()) {
		t.Errorf("read:\n%s", out.String())
	}
	if code := dispatch([]string{"modbus", "read", "--config", path, "--gateway", "nope"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), `gateway "nope" unknown`) {
		t.Errorf("unknown gateway: exit %d: %s", code, errb.String())
	}
}
