package modbus

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/collectors"
	"facmon/collectors/sim/modbussim"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// pointLog is a Sink that keeps every point.
type pointLog struct {
	testsupport.Points
}

// find returns the points of device and signal so far.
func (r *pointLog) find(device, signal string) []collectors.Point { return r.Find(device, signal) }

// statuses is the sequence of status values emitted for device.
func (r *pointLog) statuses(device string) []collectors.DeviceStatus {
	var out []collectors.DeviceStatus
	for _, p := range r.find(device, collectors.StatusSignal) {
		out = append(out, collectors.DeviceStatus(p.Value))
	}
	return out
}

// lastStatus is the device's last emitted status, ok false if none yet.
func (r *pointLog) lastStatus(device string) (collectors.DeviceStatus, bool) {
	s := r.statuses(device)
	if len(s) == 0 {
		return 0, false
	}
	return s[len(s)-1], true
}

// harness runs a Collector on a site until the test ends.
type harness struct {
	c    *Collector
	sink *pointLog
	reg  *prometheus.Registry
}

func run(t *testing.T, s *site.Site) *harness {
	t.Helper()
	h := &harness{sink: &pointLog{}, reg: prometheus.NewRegistry()}
	c, err := New(Options{Site: s, Sink: h.sink, Registerer: h.reg})
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return h
}

func (h *harness) errorsOf(device, kind string) float64 {
	return testutil.ToFloat64(h.c.metrics.errors.WithLabelValues(device, kind))
}

func (h *harness) state(device string) DeviceState {
	i := slices.IndexFunc(h.c.Status(), func(s DeviceState) bool { return s.Device == device })
	return h.c.Status()[i]
}

func startSim(t *testing.T, opts modbussim.Options) *modbussim.Server {
	t.Helper()
	s, err := modbussim.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ptr[T any](v T) *T { return &v }

func gateway(id, transport, addr string) site.Gateway {
	return site.Gateway{ID: id, Transport: transport, Address: addr, MaxGap: ptr(10)}
}

func dev(id, gw string, unit int, interval, timeout time.Duration, signals ...site.Signal) site.Device {
	return site.Device{ID: id, Kind: "pump", Area: "pump-room", Signals: signals,
		Modbus: &site.DeviceModbus{Gateway: gw, Unit: unit, Interval: site.Duration(interval), Timeout: site.Duration(timeout), Retries: 1, OfflineAfter: 3}}
}

func sig(name, table string, addr int, typ, order string) site.Signal {
	return site.Signal{Name: name, Type: site.Analog, Modbus: &site.Register{Table: table, Address: addr, Type: typ, Order: order}}
}
