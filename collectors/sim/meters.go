package sim

import (
	"math"
	"time"
)

// meter is a power or water sub-meter: a rate computed from the rest of
// the world, integrated into a counter.
type meter struct {
	id       string
	rateSig  string // power (kW) or flow (m³/h)
	countSig string // energy (kWh) or volume (m³)
	rate     func(w *World) float64
	count    float64
}

func (m *meter) step(w *World, dt time.Duration) {
	r := math.Max(0, m.rate(w))
	m.count += r * hours(dt)
	w.set(m.id, m.rateSig, r)
	w.set(m.id, m.countSig, m.count)
}

// buildMeters makes a meter for every power_meter (by its circuit label)
// and water_meter (by its branch label).
func (w *World) buildMeters() {
	for _, d := range w.devicesOf("power_meter") {
		w.models = append(w.models, &meter{id: d.ID, rateSig: "power", countSig: "energy",
			rate: w.circuitLoad(d.Labels["circuit"]), count: label(d, "sim_start", 12000)})
	}
	for _, d := range w.devicesOf("water_meter") {
		w.models = append(w.models, &meter{id: d.ID, rateSig: "flow", countSig: "volume",
			rate: w.branchFlow(d.Labels["branch"]), count: label(d, "sim_start", 350)})
	}
}

// dark reports whether lights are on at local hour h (dusk to dawn).
func dark(h float64) bool { return h >= 18.5 || h < 6 }

// sun is the PV output share at local hour h: a half sine from 06:00 to
// 18:00.
func sun(h float64) float64 {
	if h < 6 || h > 18 {
		return 0
	}
	return math.Sin(math.Pi * (h - 6) / 12)
}

// circuitLoad returns the load of an electric circuit, in kW. Every
// circuit but PV is dead while the transfer switch is open; PV inverters
// also trip without the grid.
func (w *World) circuitLoad(circuit string) func(w *World) float64 {
	base := func(w *World) float64 {
		h := w.hour()
		switch circuit {
		case "public_lighting":
			return 1 + 11*b2f(dark(h)) + w.noise(0.2)
		case "garage_lighting":
			return 6 + 2*b2f((h >= 7 && h < 9) || (h >= 17 && h < 20)) + w.noise(0.1)
		case "landscape_lighting":
			return 8 * b2f(h >= 18.5 && h < 23)
		case "elevators":
			return 5 + 12*diurnalDemand(h)/2 + w.noise(1)
		case "pump_room":
			return pumpRoomLoad(w)
		case "pv":
			return 30 * sun(h) * (0.9 + w.noise(0.1)) * b2f(w.power.mainsUp)
		}
		return 3 + w.noise(0.2)
	}
	return func(w *World) float64 { return b2f(w.power.supplied()) * base(w) }
}

// pumpRoomLoad adds the pumps' currents up as three-phase power at 380 V,
// power factor 0.85, plus 1.5 kW of lights and ventilation.
func pumpRoomLoad(w *World) float64 {
	amps := 0.0
	for _, t := range w.tanks {
		for _, f := range t.fillers {
			amps += w.get(f.d.ID, "current")
		}
		for _, b := range t.boosters {
			amps += w.get(b.d.ID, "current")
		}
	}
	return 1.5 + math.Sqrt(3)*380*amps*0.85/1000
}

// branchFlow returns the flow of a water branch, in m³/h.
func (w *World) branchFlow(branch string) func(w *World) float64 {
	return func(w *World) float64 {
		h := w.hour()
		switch branch {
		case "fire", "domestic_makeup":
			return w.fillFlow(branch == "fire")
		case "fountain":
			return w.fountainFlow()
		case "landscape":
			return 0.3 * b2f(h >= 9 && h < 17)
		case "irrigation":
			return 6 * b2f((h >= 6 && h < 6.5) || (h >= 18 && h < 18.5))
		}
		return 0
	}
}

// fillFlow is the flow into the fire tanks (fire) or the other tanks.
func (w *World) fillFlow(fire bool) float64 {
	q := 0.0
	for _, t := range w.tanks {
		if t.diurnal == fire {
			continue
		}
		for _, f := range t.fillers {
			q += f.flow()
		}
	}
	return q
}

func (w *World) fountainFlow() float64 {
	q := 0.0
	for _, m := range w.models {
		if f, ok := m.(*fountain); ok {
			q += f.flow()
		}
	}
	return q
}
