package sim

import (
	"math"
	"time"

	"facmon/internal/site"
)

// Defaults of the water models; the sim_* labels of a device override
// them (docs/simulator.md).
const (
	defaultTankHeight = 4.0  // m
	defaultTankArea   = 40.0 // m², to turn level rates into m³/h
	defaultFillRate   = 1.0  // m/h of tank level while a filler runs
	defaultDemand     = 0.02 // m/h: evaporation and leaks of a tank nobody draws from
	fireFillOn        = 0.80 // fire tanks: make-up starts below 80 % …
	fireFillOff       = 0.90 // … and stops at 90 % (the high alarm is above 95 %)
	domesticFillOn    = 0.50
	domesticFillOff   = 0.90
	nightHoldLevel    = 0.35 // domestic inlets wait for 05:00 unless the tank is below 35 %
	highFloat         = 0.97 // float switches, as a fraction of the height
	lowFloat          = 0.25
	dryRunLevel       = 0.20 // m: boosters stop to protect themselves
)

// tank is a water tank: level falls with demand and rises while a filler
// (pump or inlet valve) runs.
type tank struct {
	id              string
	height, area    float64
	demand          float64 // m/h at the daily mean
	diurnal         bool    // demand follows the day (domestic), or not (fire)
	level           float64
	fillOn, fillOff float64
	fillers         []*filler
	boosters        []*booster
	demandFactor    float64 // scenarios multiply the demand
}

// filler is a pump or valve that fills a tank, switched by level
// hysteresis.
type filler struct {
	d     *site.Device
	t     *tank
	rate  float64 // m/h
	on    bool
	stuck bool // a scenario keeps it from running
	hours float64
}

// booster is a pump that supplies the buildings from a tank.
type booster struct {
	d       *site.Device
	t       *tank
	running bool
	hours   float64
	load    float64 // 0..1 of rated flow
}

func (w *World) buildWater() {
	byID := map[string]*tank{}
	for _, d := range w.devicesOf("water_tank") {
		t := newTank(d)
		byID[d.ID] = t
		w.tanks = append(w.tanks, t)
	}
	for i := range w.site.Devices {
		d := &w.site.Devices[i]
		if t := byID[d.Labels["sim_fills"]]; t != nil {
			t.fillers = append(t.fillers, &filler{d: d, t: t, rate: label(d, "sim_rate", defaultFillRate)})
		}
		if t := byID[d.Labels["sim_draws"]]; t != nil {
			t.boosters = append(t.boosters, &booster{d: d, t: t, hours: 1000 + 300*float64(len(t.boosters))})
		}
	}
	for _, t := range w.tanks {
		w.models = append(w.models, t)
	}
	w.models = append(w.models, followers(w)...)
	for _, d := range w.devicesOf("sump") {
		w.models = append(w.models, &sump{id: d.ID, level: 0.3, inflow: label(d, "sim_inflow", 0.15)})
	}
	for _, d := range w.devicesOf("fountain") {
		w.models = append(w.models, &fountain{id: d.ID, level: 0.6})
	}
}

func newTank(d *site.Device) *tank {
	t := &tank{id: d.ID, height: label(d, "sim_height", defaultTankHeight), area: label(d, "sim_area", defaultTankArea),
		demand: label(d, "sim_demand", defaultDemand), demandFactor: 1}
	t.diurnal = d.Labels["purpose"] == "domestic"
	t.fillOn, t.fillOff = fireFillOn, fireFillOff
	if t.diurnal {
		t.fillOn, t.fillOff = domesticFillOn, domesticFillOff
	}
	t.level = t.height * (t.fillOn + t.fillOff) / 2
	return t
}

// diurnalDemand is the share of the mean daily demand drawn at a local
// hour: low at night, peaks at 07:00 and 19:30.
func diurnalDemand(h float64) float64 {
	peak := func(at, width float64) float64 { return math.Exp(-(h - at) * (h - at) / (2 * width * width)) }
	return 0.25 + 1.6*peak(7, 1.2) + 1.4*peak(19.5, 1.5) + 0.5*peak(12, 1.5)
}

func (t *tank) step(w *World, dt time.Duration) {
	out := t.demand * t.demandFactor
	if t.diurnal {
		out *= diurnalDemand(w.hour())
	}
	if len(t.boosters) > 0 && !t.boosting(w, dt) {
		out = 0 // nobody draws while the boosters are stopped
	}
	in := 0.0
	hold := t.diurnal && nightHold(w.hour())
	for _, f := range t.fillers {
		f.control(t, hold)
		if f.on {
			in += f.rate
			f.hours += hours(dt)
		}
	}
	t.level = math.Min(t.height, math.Max(0, t.level+(in-out)*hours(dt)))
	t.publish(w, out)
}

// boosting runs the tank's boosters (one duty pump, alternating every
// hour) and reports whether any runs.
func (t *tank) boosting(w *World, dt time.Duration) bool {
	duty := int(w.now.Unix()/3600) % len(t.boosters)
	running := false
	for i, b := range t.boosters {
		b.running = i == duty && t.level > dryRunLevel && w.power.supplied()
		if b.running {
			b.hours += hours(dt)
			running = true
		}
	}
	return running
}

// nightHold reports the hours (01:00–05:00) in which domestic tanks are
// not refilled, so the make-up meter's night flow shows leaks only
// (the night-water-flow rule, 篇3·十四·15).
func nightHold(h float64) bool { return h >= 1 && h < 5 }

// control switches a filler by the tank's level hysteresis; hold keeps a
// stopped filler stopped unless the tank is nearly empty.
func (f *filler) control(t *tank, hold bool) {
	switch {
	case f.stuck:
		f.on = false
	case hold && !f.on && t.level > t.height*nightHoldLevel:
	case t.level <= t.height*t.fillOn:
		f.on = true
	case t.level >= t.height*t.fillOff:
		f.on = false
	}
}

// flow is the filler's flow in m³/h.
func (f *filler) flow() float64 { return b2f(f.on) * f.rate * f.t.area }

func (t *tank) publish(w *World, out float64) {
	w.set(t.id, "level", t.level)
	w.set(t.id, "usable_level", t.level) // the PLC zeroes it while the tank is isolated
	w.setBool(t.id, "isolated", false)
	w.setBool(t.id, "high_float", t.level >= t.height*highFloat)
	w.setBool(t.id, "low_float", t.level <= t.height*lowFloat)
	for _, f := range t.fillers {
		f.publish(w)
	}
	for _, b := range t.boosters {
		b.load = math.Min(1, out/math.Max(t.demand*t.demandFactor, 1e-9)/2)
		b.publish(w)
	}
}

func (f *filler) publish(w *World) {
	id := f.d.ID
	w.setBool(id, "running", f.on)
	w.setBool(id, "open", f.on)
	w.set(id, "position", 100*b2f(f.on))
	w.setBool(id, "fault", f.stuck)
	w.set(id, "current", b2f(f.on)*(6.2+w.noise(0.1)))
	w.set(id, "run_hours", f.hours+500)
}

func (b *booster) publish(w *World) {
	id := b.d.ID
	w.setBool(id, "running", b.running)
	hz := 0.0
	if b.running {
		hz = 32 + 18*b.load
	}
	w.set(id, "frequency", hz)
	w.set(id, "current", b2f(b.running)*(4+10*b.load+w.noise(0.1)))
	w.set(id, "pressure", 0.08+b2f(b.running)*(0.37+w.noise(0.005)))
	w.set(id, "run_hours", b.hours)
}

// follower is a valve that opens while its pump runs (a booster's outlet
// valve).
type follower struct{ id, pump string }

func followers(w *World) []model {
	var out []model
	for i := range w.site.Devices {
		d := &w.site.Devices[i]
		if p := d.Labels["sim_follows"]; p != "" {
			out = append(out, &follower{id: d.ID, pump: p})
		}
	}
	return out
}

func (f *follower) step(w *World, _ time.Duration) {
	open := w.get(f.pump, "running") == 1
	w.setBool(f.id, "open", open)
	w.set(f.id, "position", 100*b2f(open))
}

// sump is a drainage pit with its pump: groundwater and rain flow in, the
// pump empties it between 0.8 m and 0.2 m.
type sump struct {
	id      string
	level   float64
	inflow  float64 // m/h
	running bool
	stuck   bool
}

func (s *sump) step(w *World, dt time.Duration) {
	switch {
	case s.stuck || !w.power.supplied():
		s.running = false
	case s.level >= 0.8:
		s.running = true
	case s.level <= 0.2:
		s.running = false
	}
	rate := s.inflow * (1 + w.noise(0.3))
	if s.running {
		rate -= 1.2
	}
	s.level = math.Min(1.5, math.Max(0, s.level+rate*hours(dt)))
	w.set(s.id, "level", s.level)
	w.setBool(s.id, "pump_running", s.running)
	w.setBool(s.id, "high_level", s.level >= 1.0)
	w.setBool(s.id, "pump_fault", s.stuck)
}

// fountain is the garden pool: its pump runs 08:00–22:00, water
// evaporates while it runs, and a make-up valve tops the pool up.
type fountain struct {
	id      string
	level   float64
	running bool
	makeup  bool
}

const fountainArea = 120.0 // m²

func (f *fountain) step(w *World, dt time.Duration) {
	h := w.hour()
	f.running = h >= 8 && h < 22 && w.power.supplied()
	switch {
	case f.level < 0.55:
		f.makeup = true
	case f.level >= 0.6:
		f.makeup = false
	}
	rate := -0.002 - 0.01*b2f(f.running)
	if f.makeup {
		rate += 0.05
	}
	f.level = math.Max(0, f.level+rate*hours(dt))
	w.set(f.id, "level", f.level)
	w.setBool(f.id, "timer_on", h >= 8 && h < 22)
	w.setBool(f.id, "pump_running", f.running)
	w.setBool(f.id, "low_level", f.level < 0.4)
}

// flow is the make-up flow in m³/h.
func (f *fountain) flow() float64 { return b2f(f.makeup) * 0.05 * fountainArea }
