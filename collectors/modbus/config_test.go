package modbus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	gb "github.com/goburrow/modbus"

	"facmon/collectors"
	"facmon/internal/site"
)

func TestConfigErrors(t *testing.T) {
	at := site.Pos{File: "site.yaml", Line: 12}
	good := func() *site.Site {
		return &site.Site{Modbus: site.Modbus{Gateways: []site.Gateway{{Pos: at, ID: "gw", Transport: "tcp", Address: "h:502"}}},
			Devices: []site.Device{{ID: "pump", Modbus: &site.DeviceModbus{Pos: at, Gateway: "gw", Unit: 1},
				Signals: []site.Signal{{Name: "v", Modbus: &site.Register{Pos: at, Table: "holding", Address: 1, Type: "uint16"}}}}}}
	}
	tests := []struct {
		name   string
		change func(s *site.Site)
		want   string
	}{
		{"valid", func(*site.Site) {}, ""},
		{"unknown transport", func(s *site.Site) { s.Modbus.Gateways[0].Transport = "udp" }, `site.yaml:12: gateway "gw": transport "udp" unknown`},
		{"parity typo", func(s *site.Site) { s.Modbus.Gateways[0].Transport = "rtu"; s.Modbus.Gateways[0].Parity = "even" }, `parity "even" unknown`},
		{"no address", func(s *site.Site) { s.Modbus.Gateways[0].Address = "" }, `site.yaml:12: gateway "gw": address missing`},
		{"negative max gap", func(s *site.Site) { s.Modbus.Gateways[0].MaxGap = ptr(-1) }, `max_gap must be 0..120`},
		{"duplicate gateway", func(s *site.Site) { s.Modbus.Gateways = append(s.Modbus.Gateways, s.Modbus.Gateways[0]) }, `gateway "gw" defined twice`},
		{"undefined gateway", func(s *site.Site) { s.Devices[0].Modbus.Gateway = "nope" }, `site.yaml:12: device "pump": gateway "nope" undefined`},
		{"unit too large", func(s *site.Site) { s.Devices[0].Modbus.Unit = 256 }, `unit 256 out of range 0..247`},
		{"rtu unit 248", func(s *site.Site) { s.Modbus.Gateways[0].Transport = "rtu"; s.Devices[0].Modbus.Unit = 248 }, `unit 248 out of range 1..247`},
		{"type typo", func(s *site.Site) { s.Devices[0].Signals[0].Modbus.Type = "flaot32" },
			`site.yaml:12: device "pump": signal "v": holding 1: type "flaot32" unknown`},
		{"table typo", func(s *site.Site) { s.Devices[0].Signals[0].Modbus.Table = "holdings" }, `table "holdings" unknown`},
		{"order typo", func(s *site.Site) { s.Devices[0].Signals[0].Modbus.Order = "ABDC" }, `order "ABDC" unknown`},
		{"bool register without bit", func(s *site.Site) { s.Devices[0].Signals[0].Modbus.Type = "bool" }, `type bool in table holding needs bit (0..15)`},
		{"coil of float", func(s *site.Site) {
			s.Devices[0].Signals[0].Modbus.Table = "coil"
			s.Devices[0].Signals[0].Modbus.Type = "float32"
		}, `type "float32" not possible in table coil (only bool)`},
		{"address past the map", func(s *site.Site) {
			s.Devices[0].Signals[0].Modbus.Address = 65535
			s.Devices[0].Signals[0].Modbus.Type = "float32"
		}, `a float32 takes 2 registers and runs past 65535`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := good()
			tc.change(s)
			_, err := New(Options{Site: s, Sink: collectors.SinkFunc(nil)})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("New: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("New error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestConfigReportsEveryError(t *testing.T) {
	s := &site.Site{Devices: []site.Device{
		{ID: "a", Modbus: &site.DeviceModbus{Gateway: "x"}},
		{ID: "b", Modbus: &site.DeviceModbus{Gateway: "y"}},
	}}
	_, err := New(Options{Site: s, Sink: collectors.SinkFunc(nil)})
	if err == nil || !strings.Contains(err.Error(), `"x"`) || !strings.Contains(err.Error(), `"y"`) {
		t.Errorf("New = %v, want both undefined gateways", err)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		kind string
	}{
		{"deadline", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, "timeout"},
		{"net timeout", timeoutErr{}, "timeout"},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, "connection"},
		{"eof", io.EOF, "connection"},
		{"unexpected eof", io.ErrUnexpectedEOF, "connection"},
		{"transaction id", fmt.Errorf("modbus: response transaction id '2' does not match request '1'"), "transaction"},
		{"rtu slave id", fmt.Errorf("modbus: response slave id '3' does not match request '2'"), "transaction"},
		{"crc", fmt.Errorf("modbus: response crc '1' does not match expected '2'"), "frame"},
		{"count", fmt.Errorf("modbus: response data size '3' does not match count '4'"), "frame"},
		{"odd function code", &gb.ModbusError{FunctionCode: 7, ExceptionCode: 1}, "frame"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Kind(classify(tc.err)); got != tc.kind {
				t.Errorf("Kind(classify(%v)) = %s, want %s", tc.err, got, tc.kind)
			}
		})
	}
}

func TestExceptionFromGoburrow(t *testing.T) {
	c := &goburrowClient{closer: io.NopCloser(nil)}
	err := c.fail(&gb.ModbusError{FunctionCode: 0x83, ExceptionCode: 2})
	if !errors.Is(err, ExceptionError{Function: 3, Code: 2}) || Kind(err) != "exception" {
		t.Errorf("fail = %v", err)
	}
}

func TestReadRTUResponse(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want int // bytes of the frame, 0 for an error
	}{
		{"read holding", []byte{1, 3, 2, 0, 7, 0xaa, 0xbb, 99}, 7},
		{"exception", []byte{1, 0x83, 2, 0xaa, 0xbb, 99}, 5},
		{"write single", []byte{1, 6, 0, 1, 0, 2, 0xaa, 0xbb}, 8},
		{"unknown function", []byte{1, 0x2b, 0, 0}, 0},
		{"cut short", []byte{1, 3, 4, 0}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readRTUResponse(bytes.NewReader(tc.in))
			if (err != nil) != (tc.want == 0) || (err == nil && !bytes.Equal(got, tc.in[:tc.want])) {
				t.Errorf("readRTUResponse = % x, %v; want %d bytes", got, err, tc.want)
			}
		})
	}
}

// FuzzRTUResponse feeds arbitrary streams to the RTU-over-TCP reader: no
// panic, and a frame never longer than the RTU maximum plus its count.
func FuzzRTUResponse(f *testing.F) {
	f.Add([]byte{1, 3, 2, 0, 7, 0xaa, 0xbb})
	f.Add([]byte{1, 0x83, 2, 0xaa, 0xbb})
	f.Add([]byte{1, 16, 0, 1, 0, 2, 0xaa, 0xbb})
	f.Fuzz(func(t *testing.T, b []byte) {
		adu, err := readRTUResponse(bytes.NewReader(b))
		if err == nil && (len(adu) < 5 || len(adu) > 3+255+2) {
			t.Fatalf("frame of %d bytes from % x", len(adu), b)
		}
	})
}
