package modbus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/collectors"
	"facmon/collectors/modbus/codec"
	"facmon/internal/site"
)

// fakeClient answers from a function, in the caller's goroutine, so that
// testing/synctest controls its time.
type fakeClient struct {
	mu   sync.Mutex
	read func(unit byte, t codec.Table, start, count uint16, timeout time.Duration) ([]byte, error)
	last []byte
}

func (f *fakeClient) Read(unit byte, t codec.Table, start, count uint16, timeout time.Duration) ([]byte, error) {
	b, err := f.read(unit, t, start, count, timeout)
	f.mu.Lock()
	f.last = b
	f.mu.Unlock()
	return b, err
}
func (f *fakeClient) WriteCoil(byte, uint16, bool, time.Duration) error        { return nil }
func (f *fakeClient) WriteRegisters(byte, uint16, []byte, time.Duration) error { return nil }
func (f *fakeClient) LastResponse() []byte                                     { return f.last }
func (f *fakeClient) Close() error                                             { return nil }

func zeros(_ byte, t codec.Table, _, count uint16, _ time.Duration) ([]byte, error) {
	if t.IsBits() {
		return make([]byte, (count+7)/8), nil
	}
	return make([]byte, 2*count), nil
}

// runFake runs a collector on fake clients (one per gateway id) inside a
// synctest bubble for d of fake time, and returns what it published.
func runFake(t *testing.T, s *site.Site, clients map[string]Client, d time.Duration, logs *bytes.Buffer) (*Collector, *pointLog) {
	t.Helper()
	sink := &pointLog{}
	logger := slog.New(slog.DiscardHandler)
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	c, err := New(Options{Site: s, Sink: sink, Registerer: prometheus.NewRegistry(), Logger: logger,
		Dial: func(gw Gateway) (Client, error) { return clients[gw.ID], nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	time.Sleep(d)
	cancel()
	<-done
	return c, sink
}

// TestDeadDeviceCostsNeighboursOneTimeout: on one line, a device that never
// answers delays each neighbour's poll by at most its timeout, and only
// until it is known to fail (then it goes after them); a device on another
// gateway keeps its interval to the nanosecond.
func TestDeadDeviceCostsNeighboursOneTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval, timeout = time.Second, 300 * time.Millisecond
		dead := &fakeClient{read: func(unit byte, tb codec.Table, start, count uint16, to time.Duration) ([]byte, error) {
			if unit == 1 {
				time.Sleep(to)
				return nil, fmt.Errorf("%w: fake", ErrTimeout)
			}
			return zeros(unit, tb, start, count, to)
		}}
		s := &site.Site{ID: "x", Modbus: site.Modbus{Gateways: []site.Gateway{gateway("a", "tcp", "a:502"), gateway("b", "tcp", "b:502")}},
			Devices: []site.Device{
				dev("dead", "a", 1, interval, timeout, sig("v", "holding", 0, "uint16", "")),
				dev("n1", "a", 2, interval, timeout, sig("v", "holding", 0, "uint16", "")),
				dev("n2", "a", 3, interval, timeout, sig("v", "holding", 0, "uint16", "")),
				dev("far", "b", 4, interval, timeout, sig("v", "holding", 0, "uint16", "")),
			}}
		start := time.Now()
		c, sink := runFake(t, s, map[string]Client{"a": dead, "b": &fakeClient{read: zeros}}, 10*time.Second+500*time.Millisecond, nil)
		for _, name := range []string{"n1", "n2", "far"} {
			pts := sink.find(name, "v")
			if len(pts) != 11 {
				t.Errorf("%s: %d polls in 10.5 s at 1 s, want 11", name, len(pts))
			}
			for k, p := range pts {
				late := p.Time.Sub(start.Add(time.Duration(k) * interval))
				// Once the dead device is known to fail, it goes last.
				limit := time.Duration(0)
				if k == 0 && name != "far" {
					limit = timeout
				}
				if late < 0 || late > limit {
					t.Errorf("%s poll %d is %v late, want 0..%v", name, k, late, limit)
				}
			}
		}
		if st := sink.statuses("dead"); len(st) != 1 || st[0] != collectors.Offline {
			t.Errorf("dead device statuses %v, want [offline]", st)
		}
		if st := c.Status()[0]; st.Device != "dead" || st.Failures < 10 || !errors.Is(st.LastErr, ErrTimeout) {
			t.Errorf("dead device state %+v", st)
		}
	})
}

// TestPanicIsContained: a library panic on one device's bytes is
// recovered, logged with the bytes in hex, marks the device faulty, and
// polling goes on for it and its neighbours.
func TestPanicIsContained(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		fc := &fakeClient{}
		fc.read = func(unit byte, tb codec.Table, start, count uint16, to time.Duration) ([]byte, error) {
			if unit == 1 {
				fc.last = []byte{0xde, 0xad, 0xbe, 0xef}
				var b []byte
				_ = b[5] // index out of range, as goburrow/modbus#20
			}
			return zeros(unit, tb, start, count, to)
		}
		s := &site.Site{ID: "x", Modbus: site.Modbus{Gateways: []site.Gateway{gateway("a", "tcp", "a:502")}},
			Devices: []site.Device{
				dev("bad", "a", 1, time.Second, time.Second, sig("v", "holding", 0, "uint16", "")),
				dev("good", "a", 2, time.Second, time.Second, sig("v", "holding", 0, "uint16", "")),
			}}
		c, sink := runFake(t, s, map[string]Client{"a": fc}, 3*time.Second+time.Millisecond, &logs)
		if st := sink.statuses("bad"); len(st) != 1 || st[0] != collectors.Fault {
			t.Errorf("statuses %v, want [fault]", st)
		}
		if n := len(sink.find("good", "v")); n != 4 {
			t.Errorf("neighbour polled %d times, want 4", n)
		}
		if !strings.Contains(logs.String(), "de ad be ef") {
			t.Errorf("log lacks the bytes in hex:\n%s", logs.String())
		}
		if st := c.Status()[0]; !errors.Is(st.LastErr, ErrPanic) || st.LastErrorKind != "panic" {
			t.Errorf("state %+v", st)
		}
	})
}

// TestRetryKeepsDeviceOnline: one lost answer is retried after the backoff
// and never reaches the device's status.
func TestRetryKeepsDeviceOnline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		fc := &fakeClient{read: func(unit byte, tb codec.Table, start, count uint16, to time.Duration) ([]byte, error) {
			calls++
			if calls == 2 {
				return nil, ExceptionError{Function: 3, Code: 6}
			}
			return zeros(unit, tb, start, count, to)
		}}
		s := &site.Site{ID: "x", Modbus: site.Modbus{Gateways: []site.Gateway{gateway("a", "tcp", "a:502")}},
			Devices: []site.Device{dev("d", "a", 1, time.Second, time.Second, sig("v", "holding", 0, "uint16", ""))}}
		start := time.Now()
		c, sink := runFake(t, s, map[string]Client{"a": fc}, 2*time.Second+time.Millisecond, nil)
		pts := sink.find("d", "v")
		want := []time.Duration{0, time.Second + 100*time.Millisecond, 2 * time.Second}
		if len(pts) != len(want) {
			t.Fatalf("%d points, want %d", len(pts), len(want))
		}
		for i, p := range pts {
			if got := p.Time.Sub(start); got != want[i] {
				t.Errorf("poll %d at %v, want %v", i, got, want[i])
			}
		}
		if st := sink.statuses("d"); len(st) != 1 || st[0] != collectors.Online {
			t.Errorf("statuses %v, want [online]", st)
		}
		if got := c.Status()[0]; got.Failures != 0 || got.LastErrorKind != "exception" {
			t.Errorf("state %+v", got)
		}
	})
}

func TestCheckLen(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		n    int
		ok   bool
	}{
		{"registers exact", Request{Table: codec.Holding, Count: 3}, 6, true},
		{"registers short", Request{Table: codec.Input, Count: 3}, 4, false},
		{"registers long", Request{Table: codec.Input, Count: 1}, 4, false},
		{"9 coils in 2 bytes", Request{Table: codec.Coil, Count: 9}, 2, true},
		{"8 coils in 2 bytes", Request{Table: codec.Coil, Count: 8}, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkLen(tc.req, make([]byte, tc.n)); (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrFrame)) {
				t.Errorf("checkLen = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestStatusJSON(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		state DeviceState
		want  string
	}{
		{"before first poll", DeviceState{Device: "d", Gateway: "g"},
			`{"device":"d","gateway":"g","status":"unknown","consecutive_failures":0}`},
		{"offline", DeviceState{Device: "d", Kind: "pump", Gateway: "g", Polled: true, Status: collectors.Offline, LastError: "x", LastErrorKind: "timeout", LastGood: at, Failures: 3},
			`{"device":"d","kind":"pump","gateway":"g","status":"offline","last_error":"x","last_error_kind":"timeout","last_good":"2026-01-02T03:04:05Z","consecutive_failures":3}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.state)
			if err != nil || string(b) != tc.want {
				t.Errorf("JSON %s (%v), want %s", b, err, tc.want)
			}
		})
	}
}

// FuzzDecodeResponse feeds arbitrary answer bytes to a device with a mixed
// map: no panic, and either an error or one point per signal.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 0x40, 0x49, 0x0f, 0xdb}, uint8(0))
	f.Add([]byte{}, uint8(1))
	f.Add(bytes.Repeat([]byte{0xff}, 250), uint8(2))
	sigs, _, _, _ := mixedSignals()
	d := &site.Device{ID: "d", Modbus: &site.DeviceModbus{Gateway: "g"}, Signals: sigs}
	gc := &gatewayConfig{gw: Gateway{ID: "g"}, maxGap: 10}
	dv, err := deviceFrom(d, gc)
	if err != nil {
		f.Fatal(err)
	}
	gc.devices = []*device{dv}
	gc.group()
	g := gc.groups[0]
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		req := g.plan[int(which)%len(g.plan)]
		if checkLen(req, data) != nil {
			return
		}
		pts, err := g.decode(nil, req, data, time.Time{})
		if err == nil && len(pts) != len(req.Fields) {
			t.Fatalf("%d points for %d fields", len(pts), len(req.Fields))
		}
	})
}

// TestRunLifecycle: Run without Modbus devices waits for its context, like
// every other part; a second Run is refused.
func TestRunLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := New(Options{Site: &site.Site{}, Sink: &pointLog{}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		time.Sleep(time.Hour)
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Run returned early: %v", err)
		default:
		}
		if err := c.Run(ctx); err == nil {
			t.Error("second Run accepted")
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}
