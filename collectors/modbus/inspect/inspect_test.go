package inspect

import (
	"bytes"
	"context"
	"math"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"facmon/collectors/modbus"
	"facmon/collectors/modbus/codec"
	"facmon/collectors/sim/modbussim"
	"facmon/internal/site"
)

func startSim(t *testing.T, framing modbussim.Framing, units ...uint8) *modbussim.Server {
	t.Helper()
	s, err := modbussim.Start(t.Context(), modbussim.Options{Framing: framing, Units: units})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dial(t *testing.T, tr modbus.Transport, addr string) modbus.Client {
	t.Helper()
	c, err := modbus.DialGoburrow(modbus.Gateway{ID: "probe", Transport: tr, Address: addr, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// words are the holding registers 0..19 of unit 1 in the tests: a
// negative int16, a float32 in ABCD and in CDAB, an int32, and filler.
var words = []uint16{0xFFFE, 0x4148, 0x0000, 0x0000, 0x4148, 0xFFFE, 0x7293, 0x1234, 0x8000, 0x0001,
	100, 200, 300, 400, 0xC2F6, 0xE979, 0xE979, 0xC2F6, 65535, 1}

// TestReadMatchesMbpoll reads twenty holding registers with facmon modbus
// read's code and with mbpoll, an outside Modbus master, and compares
// every 16-bit and 32-bit decoding, at 0-based and at 1-based addresses.
func TestReadMatchesMbpoll(t *testing.T) {
	mbpoll, err := exec.LookPath("mbpoll")
	if err != nil {
		t.Skip("mbpoll not installed (apt-get install mbpoll)")
	}
	s := startSim(t, modbussim.TCP, 1)
	must(t, s.SetRegisters(1, codec.Holding, 0, words...))
	rd, err := Read(dial(t, modbus.TCP, s.Addr()), Request{Unit: 1, Table: codec.Holding, Start: 0, Count: 20, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(s.Addr())
	poll := func(args ...string) map[int]string {
		args = append([]string{"-m", "tcp", "-a", "1", "-1", "-o", "2", "-p", port}, args...)
		out, err := exec.CommandContext(t.Context(), mbpoll, append(args, "127.0.0.1")...).CombinedOutput()
		if err != nil {
			t.Fatalf("mbpoll %v: %v\n%s", args, err, out)
		}
		return parseMbpoll(string(out))
	}
	cases := []struct {
		name  string
		args  []string
		typ   codec.Type
		order codec.Order
		base  int // mbpoll's reference of address 0
	}{
		{"uint16, 0-based", []string{"-t", "4", "-0", "-r", "0", "-c", "20"}, codec.Uint16, codec.ABCD, 0},
		{"uint16, 1-based (40001 = address 0)", []string{"-t", "4", "-r", "1", "-c", "20"}, codec.Uint16, codec.ABCD, 1},
		{"float32 ABCD", []string{"-t", "4:float", "-B", "-0", "-r", "0", "-c", "10"}, codec.Float32, codec.ABCD, 0},
		{"float32 CDAB", []string{"-t", "4:float", "-0", "-r", "0", "-c", "10"}, codec.Float32, codec.CDAB, 0},
		{"int32 ABCD", []string{"-t", "4:int", "-B", "-0", "-r", "0", "-c", "10"}, codec.Int32, codec.ABCD, 0},
		{"int32 CDAB", []string{"-t", "4:int", "-0", "-r", "0", "-c", "10"}, codec.Int32, codec.CDAB, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := poll(tc.args...)
			if len(got) == 0 {
				t.Fatal("mbpoll printed no values")
			}
			for ref, v := range got {
				addr := uint16(ref - tc.base)
				ours, err := rd.Decode(addr, tc.typ, tc.order)
				if err != nil {
					t.Fatalf("address %d: %v", addr, err)
				}
				theirs, err := strconv.ParseFloat(strings.TrimPrefix(v, "-"), 64)
				if err != nil {
					t.Fatalf("mbpoll [%d] = %q", ref, v)
				}
				if strings.HasPrefix(v, "-") {
					theirs = -theirs
				}
				if math.IsNaN(theirs) && math.IsNaN(ours) {
					continue
				}
				// mbpoll prints floats with 6 significant digits.
				if math.Abs(ours-theirs) > 1e-5*math.Max(1, math.Abs(theirs)) {
					t.Errorf("address %d (mbpoll ref %d): ours %v, mbpoll %v", addr, ref, ours, theirs)
				}
			}
		})
	}
	var out bytes.Buffer
	must(t, rd.Write(&out))
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\s+0\s+40001\s+FFFE\s+-2\s+65534\s+-257\s+65279\s*$`),
		regexp.MustCompile(`(?m)^\s+1\s+40002\s+ABCD\s+1095237632\s+1095237632\s+12\.5\s*$`),
		regexp.MustCompile(`(?m)^\s+CDAB\s+\S+\s+\S+\s+12\.5\s*$`),
		regexp.MustCompile(`(?m)^\s+19\s+40020\s+0001\s+1\s+1\s+256\s+256\s*$`),
	} {
		if !want.MatchString(out.String()) {
			t.Errorf("read output lacks %s:\n%s", want, out.String())
		}
	}
}

var mbpollLine = regexp.MustCompile(`(?m)^\[(\d+)\]:\s+(\S+)`)

// parseMbpoll maps "[ref]: value" lines to the first value.
func parseMbpoll(out string) map[int]string {
	m := map[int]string{}
	for _, g := range mbpollLine.FindAllStringSubmatch(out, -1) {
		ref, _ := strconv.Atoi(g[1])
		m[ref] = g[2]
	}
	return m
}

// TestReadRTUOverTCPAndBits reads coils through RTU framing over TCP.
func TestReadRTUOverTCPAndBits(t *testing.T) {
	s := startSim(t, modbussim.RTUOverTCP, 5)
	must(t, s.SetBits(5, codec.Coil, 10, true, false, true))
	rd, err := Read(dial(t, modbus.RTUOverTCP, s.Addr()), Request{Unit: 5, Table: codec.Coil, Start: 9, Count: 5, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for a := uint16(9); a < 14; a++ {
		v, err := rd.Decode(a, codec.Bool, codec.ABCD)
		must(t, err)
		got = append(got, v)
	}
	if want := []float64{0, 1, 0, 1, 0}; !equal(got, want) {
		t.Errorf("coils 9..13 = %v, want %v", got, want)
	}
	var out bytes.Buffer
	must(t, rd.Write(&out))
	if !regexp.MustCompile(`(?m)^\s+10\s+00011\s+1\s*$`).MatchString(out.String()) {
		t.Errorf("coil 10 (00011) not shown as 1:\n%s", out.String())
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadRejectsOversizedRequest(t *testing.T) {
	for _, r := range []Request{{Table: codec.Holding, Count: 126}, {Table: codec.Coil, Count: 2001},
		{Table: codec.Holding, Start: 65530, Count: 7}, {Table: codec.Input, Count: 0}} {
		if _, err := Read(nil, r); err == nil {
			t.Errorf("%+v: no error", r)
		}
	}
}

// TestProbe surveys units 1..4 of a simulated gateway: unit 1 maps holding
// 0..49 and 100..119 only (exception 2 elsewhere), unit 3 maps everything,
// units 2 and 4 do not exist (the gateway answers exception 11). mbpoll
// confirms the illegal addresses.
func TestProbe(t *testing.T) {
	s := startSim(t, modbussim.TCP, 1, 3)
	s.MapRange(1, codec.Holding, 0, 50)
	s.MapRange(1, codec.Holding, 100, 20)
	var waits []time.Duration
	wait := func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	res, n, err := Probe(t.Context(), dial(t, modbus.TCP, s.Addr()), ProbeOptions{Units: []byte{1, 2, 3, 4},
		Table: codec.Holding, Start: 0, Count: 200, Timeout: time.Second, Interval: 50 * time.Millisecond, Wait: wait})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	WriteProbe(&out, codec.Holding, res)
	want := `unit 1: answers
  holding 0..49 (40001..40050, 50): answers
  holding 50..99 (40051..40100, 50): illegal address
  holding 100..119 (40101..40120, 20): answers
  holding 120..199 (40121..40200, 80): illegal address
unit 2: no answer: modbus: exception 11 (gateway target device failed to respond) to function 3
unit 3: answers
  holding 0..199 (40001..40200, 200): answers
unit 4: no answer: modbus: exception 11 (gateway target device failed to respond) to function 3
`
	if out.String() != want {
		t.Errorf("probe:\n%s\nwant:\n%s", out.String(), want)
	}
	total := int(s.TotalRequests())
	if n != total || len(waits) != n-1 || waits[0] != 50*time.Millisecond {
		t.Errorf("requests: probe says %d, simulator saw %d, %d pauses (%v)", n, total, len(waits), waits)
	}
	// Bisection costs at most two requests per illegal address (130 here)
	// plus a few per answered range and unit.
	if n > 2*130+30 {
		t.Errorf("%d requests for 4 units and 200 registers: bisection is not bounded", n)
	}
	if mbpoll, err := exec.LookPath("mbpoll"); err == nil {
		_, port, _ := net.SplitHostPort(s.Addr())
		for ref, illegal := range map[string]bool{"49": false, "50": true, "99": true, "100": false, "120": true} {
			out, _ := exec.CommandContext(t.Context(), mbpoll, "-m", "tcp", "-a", "1", "-1", "-0", "-o", "2", "-p", port,
				"-t", "4", "-r", ref, "127.0.0.1").CombinedOutput()
			if got := strings.Contains(strings.ToLower(string(out)), "illegal data address"); got != illegal {
				t.Errorf("mbpoll holding %s: illegal = %v, want %v\n%s", ref, got, illegal, out)
			}
		}
	}
}

// TestSnippetLoads writes a devices: block from what the simulated device
// holds and checks that the site file loader accepts it.
func TestSnippetLoads(t *testing.T) {
	s := startSim(t, modbussim.TCP, 1)
	must(t, s.SetRegisters(1, codec.Holding, 100, 1234))
	must(t, s.SetRegisters(1, codec.Input, 10, 0x4148, 0))
	must(t, s.SetRegisters(1, codec.Holding, 28, 0x0004))
	must(t, s.SetBits(1, codec.Discrete, 31, true))
	var specs []Spec
	for _, a := range []string{"level=holding:100:uint16:0.01:m", "temperature=input:10:float32::°C",
		"pump_fault=holding:28:bit2", "low_level=discrete:31"} {
		sp, err := ParseSpec(a)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, sp)
	}
	var out bytes.Buffer
	must(t, Snippet(&out, dial(t, modbus.TCP, s.Addr()), SnippetOptions{Device: "tank-1", Kind: "water_tank",
		Area: "pump-room", Gateway: "plc", Unit: 1, Timeout: time.Second}, specs))
	for _, want := range []string{"# read raw 1234 → 12.34 m", "# read 12.5\n", "bit: 2}} # read 1\n", "table: discrete, address: 31}} # read 1\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("snippet lacks %q:\n%s", want, out.String())
		}
	}
	file := "site: t\ntimezone: Asia/Shanghai\nareas: [{id: pump-room}]\nmodbus:\n  gateways: [{id: plc, transport: tcp, address: " +
		s.Addr() + "}]\n" + out.String()
	if _, err := site.Parse("snippet.yaml", []byte(file)); err != nil {
		t.Errorf("the snippet does not load: %v\n%s", err, file)
	}
}

func TestParseSpec(t *testing.T) {
	good := map[string]codec.Field{
		"level=holding:100:uint16:0.01": {Table: codec.Holding, Address: 100, Type: codec.Uint16, Bit: -1},
		"p=input:7":                     {Table: codec.Input, Address: 7, Type: codec.Uint16, Bit: -1},
		"f=holding:3:float32/CDAB":      {Table: codec.Holding, Address: 3, Type: codec.Float32, Order: codec.CDAB, Bit: -1},
		"b=holding:28:bit15":            {Table: codec.Holding, Address: 28, Type: codec.Bool, Bit: 15},
		"c=coil:65535":                  {Table: codec.Coil, Address: 65535, Type: codec.Bool, Bit: -1},
	}
	for in, want := range good {
		sp, err := ParseSpec(in)
		if err != nil || sp.Field != want {
			t.Errorf("%s: %+v, %v; want %+v", in, sp.Field, err, want)
		}
	}
	bad := map[string]string{
		"level":                    "want NAME=TABLE",
		"level=holding":            "want NAME=TABLE",
		"Level=holding:1":          "use a-z",
		"l=holdng:1":               `table "holdng" unknown`,
		"l=holding:x":              `address "x"`,
		"l=holding:65535:float32":  "passes 65535",
		"l=coil:1:uint16":          "holds bits",
		"l=holding:1:bit16":        "bit 0..15",
		"l=holding:1:uint16:0":     "scale",
		"l=holding:1:uint16:1:a:b": "want NAME=TABLE",
		"l=holding:1:uint16:1:{m}": "punctuation",
		"time=holding:1":           "reserved",
		"l=holding:1:float32/ABDC": `order "ABDC"`,
	}
	for in, want := range bad {
		if _, err := ParseSpec(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", in, err, want)
		}
	}
}

// FuzzParseSpec feeds random --signal values: ParseSpec never panics, and
// what it accepts is a field the codec can read and a snippet line.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"level=holding:100:uint16:0.01:m", "b=holding:28:bit3", "c=coil:1", "f=input:0:float64/DCBA:1e-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			return
		}
		if err := sp.Field.Check(); err != nil {
			t.Fatalf("%q: accepted field fails Check: %v", s, err)
		}
		if sp.Scale == 0 || strings.ContainsAny(signalYAML(sp), "\n") {
			t.Fatalf("%q: bad snippet %q", s, signalYAML(sp))
		}
	})
}

func TestParseUnits(t *testing.T) {
	good := map[string][]byte{"1": {1}, "1-3": {1, 2, 3}, "1,3,5-6": {1, 3, 5, 6}, "2,1-2": {2, 1}, "247": {247}}
	for in, want := range good {
		got, err := ParseUnits(in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "248", "-1", "3-1", "1-", "1,,2"} {
		if _, err := ParseUnits(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// FuzzParseUnits: ParseUnits never panics and returns only units 0..247,
// each once.
func FuzzParseUnits(f *testing.F) {
	for _, s := range []string{"1-10", "1,3,5-7", "0", "247"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		us, err := ParseUnits(s)
		if err != nil {
			return
		}
		seen := map[byte]bool{}
		for _, u := range us {
			if u > 247 || seen[u] {
				t.Fatalf("%q: %v", s, us)
			}
			seen[u] = true
		}
	})
}
