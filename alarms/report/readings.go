package report

import (
	"context"
	"slices"
	"time"

	"facmon/alarms/backtest/history"
	"facmon/collectors"
	"facmon/internal/site"
)

// Readings are the report's figures from the recorded points.
type Readings struct {
	Devices    []Availability
	Generators []GeneratorRun
	Tanks      []TankLevel
	Meters     []MeterUse
}

// Availability is one device's time offline (and faulty) in the period,
// from its status points.
type Availability struct {
	Device string
	// Known is false when no status of the device was recorded up to the
	// end of the period.
	Known bool
	// Offline and Fault are the time spent in each status within the
	// period; Outages counts the times it went offline.
	Offline, Fault time.Duration
	Outages        int
}

// GeneratorRun is one run of a generator (篇3·十五·7): start, transfer of
// the load to it, transfer back to the mains, stop.
type GeneratorRun struct {
	Generator string
	// Start is zero when the generator was already running when the
	// period began; Stop is zero while it runs.
	Start, Stop time.Time
	// Transfer is when the transfer switch went to the generator, Back
	// when it went back to the mains (zero: not seen).
	Transfer, Back time.Time
}

// TransferDelay is from start to transfer (0 if either is unknown).
func (g GeneratorRun) TransferDelay() time.Duration { return span(g.Start, g.Transfer) }

// RunOn is how long the generator ran on after the load went back to the
// mains (its cool-down).
func (g GeneratorRun) RunOn() time.Duration { return span(g.Back, g.Stop) }

// Duration is the run's length (0 if its start or stop is unknown).
func (g GeneratorRun) Duration() time.Duration { return span(g.Start, g.Stop) }

func span(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return 0
	}
	return b.Sub(a)
}

// TankLevel is one tank's lowest and highest level in the period.
type TankLevel struct {
	Device, Unit string
	// N is how many readings there were; Min and Max are meaningful only
	// when N > 0.
	N            int
	Min, Max     float64
	MinAt, MaxAt time.Time
}

// MeterUse is one meter's use in the period, the period before and the
// same period a week earlier (days only).
type MeterUse struct {
	Device, Kind, Signal, Unit string
	Use, Previous, WeekBefore  Use
}

// Use is a counter's increase over a time range.
type Use struct {
	// Value is the sum of the increases between consecutive readings in
	// the range (a decrease, a reset or wrap, is skipped).
	Value float64
	// OK is false when the range held fewer than two readings.
	OK bool
}

// Meter kinds whose use is reported, and tanks.
var meterKinds = []string{"power_meter", "water_meter", "gas_meter"}

const tankKind = "water_tank"

// statusLookBack is how far before the period a device's last status is
// looked for (statuses are written when they change).
const statusLookBack = 30 * 24 * time.Hour

// stateLookBack is how far before the period the generator's and the
// switch's state is looked for (they are polled every few seconds).
const stateLookBack = time.Hour

// readings reads the points of p (up to until) and computes the figures.
func readings(ctx context.Context, h *history.Reader, s *site.Site, p Period, until time.Time) (*Readings, error) {
	r := &Readings{}
	var err error
	if r.Devices, err = availability(ctx, h, s, p.Start, until); err != nil {
		return nil, err
	}
	if r.Generators, r.Tanks, err = plant(ctx, h, s, p.Start, until); err != nil {
		return nil, err
	}
	if r.Meters, err = meters(ctx, h, s, p, until); err != nil {
		return nil, err
	}
	return r, nil
}

// availability sums each device's time offline and faulty.
func availability(ctx context.Context, h *history.Reader, s *site.Site, from, until time.Time) ([]Availability, error) {
	sel := map[string][]string{}
	for _, d := range s.Devices {
		sel[d.ID] = []string{}
	}
	type state struct {
		st    collectors.DeviceStatus
		since time.Time
		known bool
	}
	cur := map[string]*state{}
	out := make([]Availability, len(s.Devices))
	idx := map[string]int{}
	for i, d := range s.Devices {
		out[i].Device, idx[d.ID], cur[d.ID] = d.ID, i, &state{}
	}
	// credit adds the time the device spent in its state up to t.
	credit := func(a *Availability, c *state, t time.Time) {
		if !c.known {
			return
		}
		d := span(maxTime(c.since, from), t)
		switch c.st {
		case collectors.Offline:
			a.Offline += d
		case collectors.Fault:
			a.Fault += d
		}
	}
	err := h.Read(ctx, s, from.Add(-statusLookBack), until, sel, func(ps []collectors.Point) error {
		for _, pt := range ps {
			if pt.Signal != collectors.StatusSignal {
				continue
			}
			a, c := &out[idx[pt.Device]], cur[pt.Device]
			st := collectors.DeviceStatus(pt.Value)
			if c.known && c.st == st {
				continue
			}
			credit(a, c, pt.Time)
			if st == collectors.Offline && !pt.Time.Before(from) {
				a.Outages++
			}
			*c = state{st: st, since: pt.Time, known: true}
			a.Known = true
		}
		return nil
	})
	for i, d := range s.Devices {
		credit(&out[i], cur[d.ID], until)
	}
	return out, err
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// stateValue is the value of the state named name of d's signal sig (def
// when the signal does not name it).
func stateValue(d *site.Device, sig, name string, def float64) float64 {
	for _, sg := range d.Signals {
		if sg.Name != sig {
			continue
		}
		for v, n := range sg.States {
			if n == name {
				return float64(v)
			}
		}
	}
	return def
}

func hasSignal(d *site.Device, sig string) bool {
	return slices.ContainsFunc(d.Signals, func(sg site.Signal) bool { return sg.Name == sig })
}

func signalOf(d *site.Device, sig string) *site.Signal {
	for i := range d.Signals {
		if d.Signals[i].Name == sig {
			return &d.Signals[i]
		}
	}
	return nil
}
