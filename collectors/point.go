// Package collectors holds the point model shared by every part of facmon:
// collectors produce Points, the fan-out hands them to the InfluxDB writer,
// the alarm engine and the latest-value table. Subpackages hold the
// Modbus and MQTT collectors, the storage writer with its disk spool, and
// the simulated devices.
package collectors

import (
	"context"
	"time"
)

// Quality says whether a point's value can be trusted. A failed read is never
// a value: collectors report failures through device status, not as points
// with a made-up value.
type Quality uint8

// Qualities of a point.
const (
	// Good is a value read from the device as it reported it.
	Good Quality = iota
	// Uncertain is a value the device flagged (sensor fault bit, stale
	// timestamp) but still reported.
	Uncertain
	// Bad marks a status point (device offline) that carries no reading.
	Bad
)

// String returns the quality's name, or "unknown".
func (q Quality) String() string {
	switch q {
	case Good:
		return "good"
	case Uncertain:
		return "uncertain"
	case Bad:
		return "bad"
	}
	return "unknown"
}

// Point is one reading of one signal of one device.
//
// Kind is the device's kind (water_tank, pump, ...), which is the InfluxDB
// measurement; Area is the device's area, an InfluxDB tag. Both are copied
// from the site file by the collector so that consumers need no lookup.
// Boolean signals (contacts, running states, alarm bits) carry Value 0 or 1
// with Bool set, and are stored as boolean fields.
type Point struct {
	Site    string
	Area    string
	Kind    string
	Device  string
	Signal  string
	Value   float64
	Bool    bool
	Quality Quality
	Time    time.Time
}

// Sink accepts batches of points. Publish returns once the batch is
// accepted: for the durable pipeline that means it is in the fsync'd spool,
// so a collector may acknowledge its source (an MQTT message) afterwards.
// A Sink never blocks on a slow consumer downstream.
type Sink interface {
	Publish(ctx context.Context, batch []Point) error
}

// Stager is a Sink that can also take a batch without waiting for it to
// become durable: Stage returns once the batch is written and handed on,
// with a Pending that completes when it is accepted (fsync'd). A
// collector that pipelines keeps receiving while earlier batches are
// made durable, acknowledging each source only when its Pending is Done
// with a nil Err.
type Stager interface {
	Sink
	Stage(ctx context.Context, batch []Point) (Pending, error)
}

// Pending is the acceptance of a staged batch.
type Pending interface {
	// Done is closed when the outcome is known.
	Done() <-chan struct{}
	// Err is nil if the batch was accepted; valid once Done is closed.
	Err() error
}

// Accepted is a Pending that is already done, without error.
var Accepted Pending = accepted{}

type accepted struct{}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (accepted) Done() <-chan struct{} { return closed }
func (accepted) Err() error            { return nil }

// Wait waits for p, or ctx. A Pending that can be hurried (the spool's:
// its group commit gathers only appends nobody waits for) is told so.
func Wait(ctx context.Context, p Pending) error {
	if h, ok := p.(interface{ Hurry() }); ok {
		select {
		case <-p.Done():
		default:
			h.Hurry()
		}
	}
	select {
	case <-p.Done():
		return p.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(ctx context.Context, batch []Point) error

// Publish calls f.
func (f SinkFunc) Publish(ctx context.Context, batch []Point) error { return f(ctx, batch) }

// StatusSignal is the reserved signal name of device-status points, which
// collectors emit whenever a device's status changes (and the alarm engine
// supervises): Value is a DeviceStatus, Quality is Good when online and Bad
// otherwise. Site files may not name a signal so.
const StatusSignal = "_status"

// DeviceStatus is a device's health as its collector sees it.
type DeviceStatus uint8

// Device statuses.
const (
	// Online means the last read succeeded.
	Online DeviceStatus = iota
	// Offline means N consecutive reads failed or no data came in time.
	Offline
	// Fault means the device answers but reports itself faulty (garbled
	// frames, exception responses, a fault bit).
	Fault
)

// String returns the status's name, or "unknown".
func (s DeviceStatus) String() string {
	switch s {
	case Online:
		return "online"
	case Offline:
		return "offline"
	case Fault:
		return "fault"
	}
	return "unknown"
}
