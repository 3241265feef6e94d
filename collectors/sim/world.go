package sim

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"facmon/internal/site"
)

// World is the physical state of a simulated community: tank levels, pump
// and generator states, meter counters, bin fills. It advances only when
// Step is called with a time, so tests drive it on a fake clock; it is not
// safe for concurrent use (Sim serialises access).
//
// Each device of the site gets a model chosen by its kind; a model writes
// the device's signals by name, and signals no model knows stay at zero.
type World struct {
	site   *site.Site
	loc    *time.Location
	now    time.Time
	rnd    *rand.Rand
	vals   map[string]map[string]float64
	models []model

	power     *power
	tanks     []*tank
	events    []event
	unplugged map[string]bool
	// faults are the values scenarios force on signals (a door forced, a
	// disk failed), applied over the models' values until normal.
	faults map[signalKey]float64
}

// signalKey names one signal of one device.
type signalKey struct{ device, signal string }

// model is the behaviour of one kind of device (or of a group of devices
// that act together, like the power supply).
type model interface {
	step(w *World, dt time.Duration)
}

// event is a scenario step due at a time.
type event struct {
	at time.Time
	do func(w *World)
}

// NewWorld builds the models of every device of s, in their resting
// state at start.
func NewWorld(s *site.Site, start time.Time) *World {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	w := &World{site: s, loc: loc, now: start, rnd: rand.New(rand.NewPCG(1, 2)),
		vals: make(map[string]map[string]float64, len(s.Devices)), unplugged: make(map[string]bool),
		faults: make(map[signalKey]float64)}
	for i := range s.Devices {
		d := &s.Devices[i]
		w.vals[d.ID] = make(map[string]float64, len(d.Signals))
		for _, sg := range d.Signals {
			w.vals[d.ID][sg.Name] = 0
		}
	}
	w.build()
	w.step(0)
	return w
}

// Now is the world's time: the start plus every step so far.
func (w *World) Now() time.Time { return w.now }

// Step advances the world to t (nothing happens if t is not after the
// world's time). Long gaps are cut into steps of at most a second, so
// hysteresis and delays see every crossing.
func (w *World) Step(t time.Time) {
	for w.now.Before(t) {
		dt := min(t.Sub(w.now), time.Second)
		w.now = w.now.Add(dt)
		w.runEvents()
		w.step(dt)
	}
}

func (w *World) step(dt time.Duration) {
	for _, m := range w.models {
		m.step(w, dt)
	}
	for k, v := range w.faults {
		w.set(k.device, k.signal, v)
	}
}

// fault forces a signal's value over its model until normal.
func (w *World) fault(device, signal string, v float64) {
	w.faults[signalKey{device, signal}] = v
	w.set(device, signal, v)
}

// runEvents runs scenario steps that are due, in order.
func (w *World) runEvents() {
	for len(w.events) > 0 && !w.events[0].at.After(w.now) {
		e := w.events[0]
		w.events = w.events[1:]
		e.do(w)
	}
}

// at schedules do at t, keeping events in time order.
func (w *World) at(t time.Time, do func(w *World)) {
	i := len(w.events)
	for i > 0 && w.events[i-1].at.After(t) {
		i--
	}
	w.events = append(w.events[:i], append([]event{{t, do}}, w.events[i:]...)...)
}

// Value is the current value of a device's signal, in the signal's unit.
func (w *World) Value(device, signal string) (float64, bool) {
	v, ok := w.vals[device][signal]
	return v, ok
}

// Unplugged reports whether a scenario disconnected the device.
func (w *World) Unplugged(device string) bool { return w.unplugged[device] }

// set stores a signal's value if the device has that signal.
func (w *World) set(device, signal string, v float64) {
	if m, ok := w.vals[device]; ok {
		if _, has := m[signal]; has {
			m[signal] = v
		}
	}
}

func (w *World) setBool(device, signal string, on bool) { w.set(device, signal, b2f(on)) }

func (w *World) get(device, signal string) float64 { return w.vals[device][signal] }

// noise is a small random deviation of up to ±amp.
func (w *World) noise(amp float64) float64 { return (w.rnd.Float64()*2 - 1) * amp }

// hour is the local time of day in hours (0 ≤ h < 24).
func (w *World) hour() float64 {
	t := w.now.In(w.loc)
	return float64(t.Hour()) + float64(t.Minute())/60 + float64(t.Second())/3600
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func hours(dt time.Duration) float64 { return dt.Hours() }

// label reads a numeric label of a device, or def.
func label(d *site.Device, key string, def float64) float64 {
	if v, err := strconv.ParseFloat(d.Labels[key], 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
		return v
	}
	return def
}

// devicesOf returns the site's devices of a kind, in file order.
func (w *World) devicesOf(kind string) []*site.Device {
	var out []*site.Device
	for i := range w.site.Devices {
		if w.site.Devices[i].Kind == kind {
			out = append(out, &w.site.Devices[i])
		}
	}
	return out
}

// build makes the models, power first (meters read it), water next, then
// meters and the rest.
func (w *World) build() {
	w.power = newPower(w)
	w.models = append(w.models, w.power)
	w.buildWater()
	w.buildMeters()
	w.buildSurroundings()
	w.buildEquipment()
}
