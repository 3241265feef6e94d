package testsupport

import (
	"context"

	"facmon/alarms"
	"facmon/collectors"
)

// Transitions is an alarm output (engine, dispatcher) that keeps every
// transition it is handed.
type Transitions struct {
	Collected[alarms.Transition]
}

// Transitions keeps ts.
func (r *Transitions) Transitions(_ context.Context, ts []alarms.Transition) error {
	r.Add(ts...)
	return nil
}

// Changes is the change of each transition so far, in order.
func (r *Transitions) Changes() []alarms.Change {
	var out []alarms.Change
	for _, t := range r.All() {
		out = append(out, t.Change)
	}
	return out
}

// Points is a collector's sink that keeps every point.
type Points struct {
	Collected[collectors.Point]
}

// Publish keeps batch.
func (r *Points) Publish(_ context.Context, batch []collectors.Point) error {
	r.Add(batch...)
	return nil
}

// Find is the points of device and signal so far, in order.
func (r *Points) Find(device, signal string) []collectors.Point {
	var out []collectors.Point
	for _, p := range r.All() {
		if p.Device == device && p.Signal == signal {
			out = append(out, p)
		}
	}
	return out
}
