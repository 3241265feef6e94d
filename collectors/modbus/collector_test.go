package modbus

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"facmon/collectors"
	"facmon/collectors/modbus/codec"
	"facmon/collectors/sim/modbussim"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// mixedSignals covers every table, type and order, with scale and
// offset: the site signals, the raw value to store for each, the value the
// collector must report, and where the simulator keeps it.
func mixedSignals() (sigs []site.Signal, raw, want map[string]float64, fields map[string]codec.Field) {
	type spec struct {
		s         site.Signal
		raw, want float64
		field     codec.Field
	}
	scaled := sig("level", "holding", 0, "uint16", "")
	scaled.Scale, scaled.Offset = ptr(0.1), -5
	alarm := sig("fault_bit", "input", 30, "bool", "")
	alarm.Modbus.Bit = ptr(3)
	specs := []spec{
		{scaled, 1234, 1234*0.1 - 5, codec.Field{Table: codec.Holding, Address: 0, Type: codec.Uint16, Bit: -1}},
		{sig("temp", "holding", 1, "int16", "BADC"), -42, -42, codec.Field{Table: codec.Holding, Address: 1, Type: codec.Int16, Order: codec.BADC, Bit: -1}},
		{sig("flow", "holding", 2, "float32", "CDAB"), 12.5, 12.5, codec.Field{Table: codec.Holding, Address: 2, Type: codec.Float32, Order: codec.CDAB, Bit: -1}},
		{sig("energy", "holding", 10, "uint32", "DCBA"), 4e9, 4e9, codec.Field{Table: codec.Holding, Address: 10, Type: codec.Uint32, Order: codec.DCBA, Bit: -1}},
		{sig("delta", "input", 0, "int32", "ABCD"), -100000, -100000, codec.Field{Table: codec.Input, Address: 0, Type: codec.Int32, Bit: -1}},
		{sig("volume", "input", 2, "uint64", "CDAB"), 1 << 40, 1 << 40, codec.Field{Table: codec.Input, Address: 2, Type: codec.Uint64, Order: codec.CDAB, Bit: -1}},
		{sig("offset_ns", "input", 6, "int64", "BADC"), -1 << 40, -1 << 40, codec.Field{Table: codec.Input, Address: 6, Type: codec.Int64, Order: codec.BADC, Bit: -1}},
		{sig("precise", "input", 10, "float64", "DCBA"), math.Pi, math.Pi, codec.Field{Table: codec.Input, Address: 10, Type: codec.Float64, Order: codec.DCBA, Bit: -1}},
		{alarm, 1, 1, codec.Field{Table: codec.Input, Address: 30, Type: codec.Bool, Bit: 3}},
		{sig("running", "coil", 5, "", ""), 1, 1, codec.Field{Table: codec.Coil, Address: 5, Type: codec.Bool, Bit: -1}},
		{sig("door", "discrete", 7, "bool", ""), 1, 1, codec.Field{Table: codec.Discrete, Address: 7, Type: codec.Bool, Bit: -1}},
	}
	raw, want, fields = make(map[string]float64), make(map[string]float64), make(map[string]codec.Field)
	for _, s := range specs {
		sigs = append(sigs, s.s)
		raw[s.s.Name], want[s.s.Name], fields[s.s.Name] = s.raw, s.want, s.field
	}
	return sigs, raw, want, fields
}

// storeAll puts every raw value into unit of sim.
func storeAll(t *testing.T, sim *modbussim.Server, unit uint8, raw map[string]float64, fields map[string]codec.Field) {
	t.Helper()
	for name, f := range fields {
		if err := sim.SetValue(unit, f, raw[name]); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMixedMapValues reads a map of every table, type and order from the
// simulator, and checks each poll costs exactly the planned requests.
func TestMixedMapValues(t *testing.T) {
	sim := startSim(t, modbussim.Options{Units: []uint8{4}})
	sigs, raw, want, fields := mixedSignals()
	storeAll(t, sim, 4, raw, fields)
	s := &site.Site{ID: "demo", Modbus: site.Modbus{Gateways: []site.Gateway{gateway("gw", "tcp", sim.Addr())}},
		Devices: []site.Device{dev("plc", "gw", 4, 50*time.Millisecond, time.Second, sigs...)}}
	h := run(t, s)
	testsupport.Eventually(t, 5*time.Second, "three polls", func() bool { return len(h.sink.find("plc", "door")) >= 3 })
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			pts := h.sink.find("plc", name)
			p := pts[0]
			if p.Value != w || p.Quality != collectors.Good || p.Site != "demo" || p.Kind != "pump" || p.Area != "pump-room" {
				t.Errorf("point %+v, want value %v", p, w)
			}
			if isBool := fields[name].Type == codec.Bool; p.Bool != isBool {
				t.Errorf("Bool = %v, want %v", p.Bool, isBool)
			}
		})
	}
	plan := h.c.pollers[0].cfg.groups[0].plan
	polls := len(h.sink.find("plc", "door"))
	if got, max := sim.Requests(4), uint64(len(plan)*(polls+1)); got > max || len(plan) != 5 {
		t.Errorf("%d requests for %d polls of a %d-request plan (want 5: coils, discrete inputs, holding 0..11, input 0..13 and input 30)", got, polls, len(plan))
	}
	if st := h.sink.statuses("plc"); len(st) != 1 || st[0] != collectors.Online {
		t.Errorf("statuses %v, want [online]", st)
	}
}

// TestFaults shows each fault ending in its typed error and offline within
// three poll cycles, while a device on another gateway keeps polling at its
// interval and a neighbour on the same gateway keeps being polled between
// the sick device's attempts. Exact timing (lateness 0 on another gateway,
// at most one timeout on the same line) is shown on a fake clock by
// TestDeadDeviceCostsNeighboursOneTimeout; here, on a shared 2-core
// machine, the checks compare counts, which CPU starvation does not skew.
func TestFaults(t *testing.T) {
	// The timeout is three intervals, so a device sharing the sick one's
	// line could be polled at most once per sick attempt; the far one
	// gets about three polls per attempt.
	const interval, timeout = 100 * time.Millisecond, 300 * time.Millisecond
	tests := []struct {
		name  string
		fault modbussim.Fault
		kind  string
		is    error
	}{
		{"silent", modbussim.Fault{Kind: modbussim.Silent}, "timeout", ErrTimeout},
		{"slow beyond timeout", modbussim.Fault{Kind: modbussim.Slow, Delay: 3 * timeout}, "timeout", ErrTimeout},
		{"exception", modbussim.Fault{Kind: modbussim.Exception, Code: 4}, "exception", ExceptionError{Function: 3, Code: 4}},
		{"truncated", modbussim.Fault{Kind: modbussim.Truncated}, "frame", ErrFrame},
		{"garbled", modbussim.Fault{Kind: modbussim.Garbled}, "frame", ErrFrame},
		{"wrong transaction id", modbussim.Fault{Kind: modbussim.WrongTransaction}, "transaction", ErrTransaction},
		{"connection refused", modbussim.Fault{}, "connection", ErrConnection},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			faulty := startSim(t, modbussim.Options{Units: []uint8{1, 2}})
			other := startSim(t, modbussim.Options{Units: []uint8{9}})
			s := &site.Site{ID: "demo",
				Modbus: site.Modbus{Gateways: []site.Gateway{gateway("a", "tcp", faulty.Addr()), gateway("b", "tcp", other.Addr())}},
				Devices: []site.Device{
					dev("sick", "a", 1, interval, timeout, sig("v", "holding", 0, "uint16", "")),
					dev("neighbour", "a", 2, interval, timeout, sig("v", "holding", 0, "uint16", "")),
					dev("far", "b", 9, interval, timeout, sig("v", "holding", 0, "uint16", "")),
				}}
			h := run(t, s)
			testsupport.Eventually(t, 5*time.Second, "sick online", func() bool { st, ok := h.sink.lastStatus("sick"); return ok && st == collectors.Online })
			before := faulty.Requests(1)
			from := time.Now()
			if tc.kind == "connection" {
				if err := faulty.SetRefusing(true); err != nil {
					t.Fatal(err)
				}
			} else {
				faulty.SetFault(1, tc.fault)
			}
			testsupport.Eventually(t, 20*time.Second, "sick offline", func() bool { st, _ := h.sink.lastStatus("sick"); return st == collectors.Offline })
			until := time.Now()
			attempts := faulty.Requests(1) - before
			// Three poll cycles, each a first try and one retry, plus one
			// request that may have been in flight when the fault began.
			if tc.kind != "connection" && attempts > 3*2+1 {
				t.Errorf("offline after %d requests, want at most 7 (3 polls with one retry)", attempts)
			}
			st := h.state("sick")
			if !errors.Is(st.LastErr, tc.is) || st.LastErrorKind != tc.kind || h.errorsOf("sick", tc.kind) == 0 {
				t.Errorf("last error %q (%s), want %v of kind %s", st.LastError, st.LastErrorKind, tc.is, tc.kind)
			}
			far := countBetween(h.sink.find("far", "v"), from, until)
			near := countBetween(h.sink.find("neighbour", "v"), from, until)
			if tc.kind == "timeout" && far < 2*int(attempts) {
				t.Errorf("far device polled %d times during %d timed-out attempts on another gateway, want at least %d", far, attempts, 2*attempts)
			}
			if far < 2 || (tc.kind != "connection" && near < 2) {
				t.Errorf("during the fault: far polled %d times, neighbour %d; want both at least 2", far, near)
			}
		})
	}
}

// countBetween counts the points stamped in [from, until].
func countBetween(pts []collectors.Point, from, until time.Time) int {
	n := 0
	for _, p := range pts {
		if !p.Time.Before(from) && !p.Time.After(until) {
			n++
		}
	}
	return n
}

func TestRecoversOnline(t *testing.T) {
	sim := startSim(t, modbussim.Options{Units: []uint8{1}})
	s := &site.Site{ID: "demo", Modbus: site.Modbus{Gateways: []site.Gateway{gateway("a", "tcp", sim.Addr())}},
		Devices: []site.Device{dev("d", "a", 1, 50*time.Millisecond, 100*time.Millisecond, sig("v", "holding", 0, "uint16", ""))}}
	h := run(t, s)
	testsupport.Eventually(t, 5*time.Second, "online", func() bool { st, ok := h.sink.lastStatus("d"); return ok && st == collectors.Online })
	sim.SetFault(1, modbussim.Fault{Kind: modbussim.Silent})
	testsupport.Eventually(t, 5*time.Second, "offline", func() bool { st, _ := h.sink.lastStatus("d"); return st == collectors.Offline })
	sim.SetFault(1, modbussim.Fault{})
	testsupport.Eventually(t, 5*time.Second, "online again", func() bool { st, _ := h.sink.lastStatus("d"); return st == collectors.Online })
	want := []collectors.DeviceStatus{collectors.Online, collectors.Offline, collectors.Online}
	if got := h.sink.statuses("d"); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("statuses %v, want %v", got, want)
	}
	st := h.state("d")
	if st.Status != collectors.Online || st.Failures != 0 || st.LastGood.IsZero() || st.LastErrorKind != "timeout" {
		t.Errorf("state %+v", st)
	}
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := make(map[string]bool)
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, n := range []string{"facmon_modbus_requests_total", "facmon_modbus_errors_total", "facmon_modbus_poll_duration_seconds", "facmon_modbus_device_online"} {
		if !names[n] {
			t.Errorf("metric %s not on the registerer passed in", n)
		}
	}
	if h.errorsOf("d", "timeout") == 0 {
		t.Error("timeouts not counted")
	}
	for _, p := range h.sink.find("d", collectors.StatusSignal) {
		if (p.Quality == collectors.Good) != (p.Value == float64(collectors.Online)) {
			t.Errorf("status point %+v: quality must be good only when online", p)
		}
	}
}

func TestWriteRoundTrip(t *testing.T) {
	sim := startSim(t, modbussim.Options{Units: []uint8{3}})
	setpoint := sig("setpoint", "holding", 20, "float32", "CDAB")
	setpoint.Scale, setpoint.Offset = ptr(0.5), 10
	speed := sig("speed", "holding", 30, "int16", "")
	s := &site.Site{ID: "demo", Modbus: site.Modbus{Gateways: []site.Gateway{gateway("a", "tcp", sim.Addr())}},
		Devices: []site.Device{dev("pump", "a", 3, 50*time.Millisecond, time.Second,
			sig("start", "coil", 2, "bool", ""), setpoint, speed, sig("level", "input", 0, "uint16", ""))}}
	h := run(t, s)
	ctx := t.Context()
	if err := h.c.WriteCoil(ctx, "pump", "start", true); err != nil {
		t.Fatal(err)
	}
	if err := h.c.WriteRegister(ctx, "pump", "setpoint", 42); err != nil {
		t.Fatal(err)
	}
	if err := h.c.WriteRegister(ctx, "pump", "speed", -300); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name  string
		field codec.Field
		want  float64
	}{
		{"coil", codec.Field{Table: codec.Coil, Address: 2, Type: codec.Bool, Bit: -1}, 1},
		{"float32 scaled", codec.Field{Table: codec.Holding, Address: 20, Type: codec.Float32, Order: codec.CDAB, Bit: -1}, (42 - 10) / 0.5},
		{"int16 single register", codec.Field{Table: codec.Holding, Address: 30, Type: codec.Int16, Bit: -1}, -300},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if got, err := sim.Value(3, c.field); err != nil || got != c.want {
				t.Errorf("simulator holds %v (%v), want %v", got, err, c.want)
			}
		})
	}
	testsupport.Eventually(t, 5*time.Second, "setpoint read back", func() bool {
		pts := h.sink.find("pump", "setpoint")
		return len(pts) > 0 && pts[len(pts)-1].Value == 42
	})
	errCases := []struct {
		name string
		err  error
	}{
		{"coil write to a register", h.c.WriteCoil(ctx, "pump", "speed", true)},
		{"register write to an input", h.c.WriteRegister(ctx, "pump", "level", 1)},
		{"out of range", h.c.WriteRegister(ctx, "pump", "speed", 40000)},
		{"unknown device", h.c.WriteCoil(ctx, "nope", "start", true)},
		{"unknown signal", h.c.WriteCoil(ctx, "pump", "nope", true)},
	}
	for _, c := range errCases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	sim.SetFault(3, modbussim.Fault{Kind: modbussim.Exception, Code: 2})
	var ex ExceptionError
	if err := h.c.WriteCoil(ctx, "pump", "start", false); !errors.As(err, &ex) || ex.Code != 2 {
		t.Errorf("write to a failing device: %v, want exception 2", err)
	}
}

// TestRTUOverTCP polls the simulator in RTU-over-TCP mode through the
// package's own RTU transporter, and sees a bad CRC as a frame error.
func TestRTUOverTCP(t *testing.T) {
	sim := startSim(t, modbussim.Options{Framing: modbussim.RTUOverTCP, Units: []uint8{7}})
	sigs, raw, want, fields := mixedSignals()
	storeAll(t, sim, 7, raw, fields)
	s := &site.Site{ID: "demo", Modbus: site.Modbus{Gateways: []site.Gateway{gateway("rtu", "rtu-over-tcp", sim.Addr())}},
		Devices: []site.Device{dev("meter", "rtu", 7, 50*time.Millisecond, 200*time.Millisecond, sigs...)}}
	h := run(t, s)
	testsupport.Eventually(t, 5*time.Second, "a poll", func() bool { return len(h.sink.find("meter", "door")) > 0 })
	for name, w := range want {
		if got := h.sink.find("meter", name)[0].Value; got != w {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	sim.SetFault(7, modbussim.Fault{Kind: modbussim.Garbled})
	testsupport.Eventually(t, 5*time.Second, "offline", func() bool { st, _ := h.sink.lastStatus("meter"); return st == collectors.Offline })
	if k := h.state("meter").LastErrorKind; k != "frame" {
		t.Errorf("garbled RTU frame: kind %q, want frame", k)
	}
	sim.SetFault(7, modbussim.Fault{Kind: modbussim.WrongTransaction})
	testsupport.Eventually(t, 5*time.Second, "transaction error", func() bool { return h.errorsOf("meter", "transaction") > 0 })
}

// TestDevicesOnOneUnitShareReads: four logical devices served by one PLC
// unit with one interval cost the reads of one device; a device with its
// own interval is polled apart; a dead unit takes all its devices offline.
func TestDevicesOnOneUnitShareReads(t *testing.T) {
	sim := startSim(t, modbussim.Options{Units: []uint8{1}})
	const interval = 50 * time.Millisecond
	var devices []site.Device
	for i := range 4 {
		devices = append(devices, dev(fmt.Sprintf("tank-%d", i), "plc", 1, interval, time.Second,
			sig("level", "holding", i, "uint16", ""), sig("high", "discrete", 2*i, "bool", "")))
		if err := sim.SetRegisters(1, codec.Holding, uint16(i), uint16(100+i)); err != nil {
			t.Fatal(err)
		}
	}
	devices = append(devices, dev("slow-meter", "plc", 1, time.Hour, time.Second, sig("energy", "input", 0, "uint32", "")))
	s := &site.Site{ID: "demo", Modbus: site.Modbus{Gateways: []site.Gateway{gateway("plc", "tcp", sim.Addr())}}, Devices: devices}
	h := run(t, s)
	groups := h.c.pollers[0].cfg.groups
	if len(groups) != 2 || len(groups[0].devices) != 4 || len(groups[0].plan) != 2 {
		t.Fatalf("%d groups, first of %d devices in %d reads; want 2 groups, 4 tank devices in 2 reads", len(groups), len(groups[0].devices), len(groups[0].plan))
	}
	testsupport.Eventually(t, 5*time.Second, "every tank read", func() bool { return len(h.sink.find("tank-3", "level")) >= 2 })
	for i := range 4 {
		if got := h.sink.find(fmt.Sprintf("tank-%d", i), "level")[0].Value; got != float64(100+i) {
			t.Errorf("tank-%d level %v, want %d", i, got, 100+i)
		}
	}
	sim.SetFault(1, modbussim.Fault{Kind: modbussim.Silent})
	testsupport.Eventually(t, 10*time.Second, "all tanks offline", func() bool {
		for i := range 4 {
			if st, _ := h.sink.lastStatus(fmt.Sprintf("tank-%d", i)); st != collectors.Offline {
				return false
			}
		}
		return true
	})
}
