package modbussim

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"facmon/collectors/modbus/codec"
)

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fld(t codec.Table, addr uint16, typ codec.Type, o codec.Order) codec.Field {
	return codec.Field{Table: t, Address: addr, Type: typ, Order: o, Bit: -1}
}

// TestMbpollReadsSimulator shows the simulator is real Modbus: mbpoll, an
// outside master, reads what the test stored, in every table.
func TestMbpollReadsSimulator(t *testing.T) {
	mbpoll, err := exec.LookPath("mbpoll")
	if err != nil {
		t.Skip("mbpoll not installed (apt-get install mbpoll)")
	}
	s := start(t, Options{Units: []uint8{1, 7}})
	must(t, s.SetValue(7, fld(codec.Holding, 10, codec.Int16, codec.ABCD), -1234))
	must(t, s.SetValue(7, fld(codec.Holding, 11, codec.Uint16, codec.ABCD), 65000))
	must(t, s.SetValue(7, fld(codec.Input, 20, codec.Float32, codec.ABCD), 21.5))
	must(t, s.SetValue(7, fld(codec.Input, 22, codec.Int32, codec.ABCD), -70000))
	must(t, s.SetValue(7, fld(codec.Coil, 3, codec.Bool, codec.ABCD), 1))
	must(t, s.SetValue(7, fld(codec.Discrete, 5, codec.Bool, codec.ABCD), 1))
	must(t, s.SetValue(1, fld(codec.Holding, 10, codec.Uint16, codec.ABCD), 11))
	_, port, _ := net.SplitHostPort(s.Addr())
	tests := []struct {
		name string
		args []string
		want map[string]string
	}{
		{"holding int16 and uint16", []string{"-t", "4", "-r", "10", "-c", "2"}, map[string]string{"10": "64302", "11": "65000"}},
		{"input float32 big-endian", []string{"-t", "3:float", "-B", "-r", "20"}, map[string]string{"20": "21.5"}},
		{"input int32 big-endian", []string{"-t", "3:int", "-B", "-r", "22"}, map[string]string{"22": "-70000"}},
		{"coils", []string{"-t", "0", "-r", "2", "-c", "3"}, map[string]string{"2": "0", "3": "1", "4": "0"}},
		{"discrete inputs", []string{"-t", "1", "-r", "5"}, map[string]string{"5": "1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-m", "tcp", "-a", "7", "-0", "-1", "-o", "2", "-p", port}, tc.args...)
			out, err := exec.CommandContext(t.Context(), mbpoll, append(args, "127.0.0.1")...).CombinedOutput()
			if err != nil {
				t.Fatalf("mbpoll %v: %v\n%s", args, err, out)
			}
			got := parseMbpoll(string(out))
			for ref, want := range tc.want {
				if got[ref] != want {
					t.Errorf("mbpoll [%s] = %q, want %q\n%s", ref, got[ref], want, out)
				}
			}
		})
	}
	if s.Requests(7) != uint64(len(tests)) || s.Requests(1) != 0 {
		t.Errorf("requests: unit 7 %d, unit 1 %d; want %d and 0", s.Requests(7), s.Requests(1), len(tests))
	}
}

var mbpollLine = regexp.MustCompile(`(?m)^\[(\d+)\]:\s+(\S+)`)

// parseMbpoll maps "[ref]: value" lines of mbpoll's output to the first
// value (16-bit registers print unsigned, then signed in parentheses).
func parseMbpoll(out string) map[string]string {
	m := make(map[string]string)
	for _, g := range mbpollLine.FindAllStringSubmatch(out, -1) {
		m[g[1]] = strings.TrimSpace(g[2])
	}
	return m
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rawTCP sends one read-holding request for unit and returns the raw
// response, or nil after a silence of wait.
func rawTCP(t *testing.T, c net.Conn, tid uint16, unit uint8, wait time.Duration) []byte {
	t.Helper()
	pdu := []byte{3, 0, 0, 0, 2}
	if _, err := c.Write(encodeTCP(frame{tid: tid, unit: unit, pdu: pdu})); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	var hdr [7]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return nil
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[4:])-1)
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatal(err)
	}
	return append(hdr[:], body...)
}

// TestFaultsOnTheWire checks the exact bytes each fault puts on the wire.
func TestFaultsOnTheWire(t *testing.T) {
	s := start(t, Options{Units: []uint8{1}})
	must(t, s.SetRegisters(1, codec.Holding, 0, 0x1234, 0x5678))
	good := []byte{0, 9, 0, 0, 0, 7, 1, 3, 4, 0x12, 0x34, 0x56, 0x78}
	tests := []struct {
		name  string
		fault Fault
		want  []byte
	}{
		{"none", Fault{}, good},
		{"slow", Fault{Kind: Slow, Delay: 20 * time.Millisecond}, good},
		{"silent", Fault{Kind: Silent}, nil},
		{"exception", Fault{Kind: Exception, Code: 4}, []byte{0, 9, 0, 0, 0, 3, 1, 0x83, 4}},
		{"truncated", Fault{Kind: Truncated}, []byte{0, 9, 0, 0, 0, 5, 1, 3, 4, 0x12, 0x34}},
		{"garbled", Fault{Kind: Garbled}, []byte{0, 9, 0x5A, 0x5A, 0, 7, 1, 3, 4, 0x12 ^ 0xA5, 0x34 ^ 0xA5, 0x56 ^ 0xA5, 0x78 ^ 0xA5}},
		{"wrong transaction", Fault{Kind: WrongTransaction}, []byte{0, 10, 0, 0, 0, 7, 1, 3, 4, 0x12, 0x34, 0x56, 0x78}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", s.Addr())
			must(t, err)
			defer c.Close()
			s.SetFault(1, tc.fault)
			got := rawTCP(t, c, 9, 1, 300*time.Millisecond)
			if !bytes.Equal(got, tc.want) {
				t.Errorf("response % x, want % x", got, tc.want)
			}
		})
	}
	if n := s.Requests(1); n != uint64(len(tests)) {
		t.Errorf("counted %d requests, want %d", n, len(tests))
	}
}

func TestUnknownUnitIsGatewayException(t *testing.T) {
	s := start(t, Options{Units: []uint8{1}})
	c, err := net.Dial("tcp", s.Addr())
	must(t, err)
	defer c.Close()
	got := rawTCP(t, c, 1, 99, time.Second)
	if want := []byte{0, 1, 0, 0, 0, 3, 99, 0x83, 11}; !bytes.Equal(got, want) {
		t.Errorf("response % x, want % x", got, want)
	}
}

func TestRefusing(t *testing.T) {
	s := start(t, Options{Units: []uint8{1}})
	addr := s.Addr()
	must(t, s.SetRefusing(true))
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("dial succeeded while refusing")
	}
	must(t, s.SetRefusing(false))
	c, err := net.Dial("tcp", addr)
	must(t, err)
	defer c.Close()
	if rawTCP(t, c, 1, 1, time.Second) == nil {
		t.Error("no answer after listening again")
	}
}

func TestRTUOverTCP(t *testing.T) {
	s := start(t, Options{Framing: RTUOverTCP, Units: []uint8{5}})
	must(t, s.SetRegisters(5, codec.Input, 2, 0xBEEF))
	c, err := net.Dial("tcp", s.Addr())
	must(t, err)
	defer c.Close()
	_, err = c.Write(encodeRTU(frame{unit: 5, pdu: []byte{4, 0, 2, 0, 1}}))
	must(t, err)
	want := encodeRTU(frame{unit: 5, pdu: []byte{4, 2, 0xBE, 0xEF}})
	got := make([]byte, len(want))
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = io.ReadFull(c, got)
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Errorf("response % x, want % x", got, want)
	}
}

func TestCRC(t *testing.T) {
	// Modbus spec example: 01 03 00 00 00 01 has CRC 84 0A (low byte first).
	if got := encodeRTU(frame{unit: 1, pdu: []byte{3, 0, 0, 0, 1}}); !bytes.Equal(got[6:], []byte{0x84, 0x0A}) {
		t.Errorf("CRC bytes % x, want 84 0a", got[6:])
	}
}

func TestCloseStopsEverything(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	s, err := Start(ctx, Options{Units: []uint8{1}})
	must(t, err)
	c, err := net.Dial("tcp", s.Addr())
	must(t, err)
	defer c.Close()
	cancel()
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with a client connected")
	}
}

// FuzzReadRequest feeds arbitrary bytes to both request framings: never a
// panic, and a frame that parses has a function code.
func FuzzReadRequest(f *testing.F) {
	f.Add(encodeTCP(frame{tid: 1, unit: 1, pdu: []byte{3, 0, 0, 0, 10}}))
	f.Add(encodeRTU(frame{unit: 1, pdu: []byte{16, 0, 0, 0, 1, 2, 0, 7}}))
	f.Add([]byte{0, 1, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, read := range []func(io.Reader) (frame, error){readTCP, readRTU} {
			fr, err := read(bytes.NewReader(b))
			if err == nil && len(fr.pdu) == 0 {
				t.Fatalf("empty PDU parsed from % x", b)
			}
		}
	})
}
