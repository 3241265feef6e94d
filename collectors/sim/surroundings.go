package sim

import (
	"hash/fnv"
	"math"
	"time"

	"facmon/internal/site"
)

// buildSurroundings makes the models of rooms, pits, doors, alarms and
// bins: mostly quiet devices that scenarios wake up.
func (w *World) buildSurroundings() {
	for _, d := range w.devicesOf("room") {
		w.models = append(w.models, &room{id: d.ID, base: label(d, "sim_temperature", 21+float64(idHash(d.ID)%5)),
			heated: d.Area == firstArea(w.devicesOf("generator"))})
	}
	for _, d := range w.devicesOf("bin") {
		b := &bin{id: d.ID, rate: label(d, "sim_fill_rate", 4), factor: 1}
		b.fill = binStart + b.rate*sinceEmptied(w.hour())
		w.models = append(w.models, b)
	}
	for _, d := range w.devicesOf("lighting_circuit") {
		w.models = append(w.models, &lighting{id: d.ID, circuit: d.Labels["circuit"]})
	}
	for _, d := range w.devicesOf("elevator") {
		w.models = append(w.models, &elevator{id: d.ID})
	}
	for _, d := range w.devicesOf("home_alarm") {
		w.models = append(w.models, &homeAlarm{id: d.ID})
	}
	for _, d := range w.devicesOf("elevator_pit") {
		w.models = append(w.models, &pit{id: d.ID})
	}
}

func idHash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func firstArea(ds []*site.Device) string {
	if len(ds) == 0 {
		return ""
	}
	return ds[0].Area
}

// room is an equipment room: its temperature follows the day around a
// base, and the generator's room warms up by 5 °C while it runs.
type room struct {
	id     string
	base   float64
	drift  float64
	heat   float64
	heated bool
}

func (r *room) step(w *World, dt time.Duration) {
	h := w.hour()
	r.drift = math.Max(-1.5, math.Min(1.5, r.drift+w.noise(0.02)))
	target := 0.0
	if w.power.genRunning && r.heated {
		target = 5
	}
	r.heat += (target - r.heat) * math.Min(1, dt.Minutes()/10) // ten-minute time constant
	t := r.base + 2.5*math.Sin(2*math.Pi*(h-9)/24) + r.drift + r.heat
	w.set(r.id, "temperature", t)
	w.set(r.id, "humidity", 55+8*math.Sin(2*math.Pi*(h-3)/24)+w.noise(0.5))
}

// bin fills over the day and is emptied at 07:00 and 19:00.
type bin struct {
	id     string
	rate   float64 // %/h at daytime
	fill   float64
	factor float64 // scenarios speed filling up
	last   float64 // local hour of the previous step
	seen   bool    // last is set
}

func (b *bin) step(w *World, dt time.Duration) {
	h := w.hour()
	if !b.seen {
		b.last, b.seen = h, true
	}
	if crossed(b.last, h, 7) || crossed(b.last, h, 19) {
		b.fill = binStart
	}
	b.last = h
	rate := b.rate * b.factor
	if (h < 6 || h >= 23) && b.factor == 1 {
		rate *= 0.1 // nobody takes out rubbish at night (bin-fill overflows at any hour)
	}
	b.fill = math.Min(100, b.fill+rate*hours(dt))
	w.set(b.id, "fill_level", math.Round(b.fill))
}

// binStart is a bin's fill just after it was emptied, in %.
const binStart = 3

// sinceEmptied is how many daytime hours ago bins were last emptied (at
// 07:00 and 19:00); night hours count a tenth.
func sinceEmptied(h float64) float64 {
	switch {
	case h >= 23:
		return 4 + (h-23)/10
	case h >= 19:
		return h - 19
	case h >= 7:
		return h - 7
	case h >= 6:
		return 4.7 + (h - 6)
	}
	return 4.1 + h/10
}

// crossed reports whether the local hour passed mark between two steps.
func crossed(from, to, mark float64) bool {
	if to < from { // midnight
		return from < mark || to >= mark
	}
	return from < mark && to >= mark
}

// pit is an elevator pit: dry unless a scenario floods it.
type pit struct {
	id    string
	level float64 // cm
	flood bool
}

func (p *pit) step(w *World, dt time.Duration) {
	if p.flood {
		p.level = math.Min(30, p.level+20*hours(dt)*60) // 20 cm a minute
	} else {
		p.level = math.Max(0, p.level-60*hours(dt))
	}
	w.set(p.id, "water_level", p.level)
	w.setBool(p.id, "water", p.level >= 2)
}

// lighting is a lighting circuit on a time switch: public lights from
// dusk to dawn, landscape lights from dusk to 23:00, garage lights always.
type lighting struct{ id, circuit string }

func (l *lighting) step(w *World, _ time.Duration) {
	h := w.hour()
	on := true
	switch l.circuit {
	case "public_lighting":
		on = dark(h)
	case "landscape_lighting":
		on = h >= 18.5 && h < 23
	}
	w.setBool(l.id, "on", on && w.power.supplied())
}

// elevator is in service while it has power.
type elevator struct{ id string }

func (e *elevator) step(w *World, _ time.Duration) {
	w.setBool(e.id, "in_service", w.power.supplied())
}

// homeAlarm is a household's panel: armed while the family is at work.
type homeAlarm struct{ id string }

func (a *homeAlarm) step(w *World, _ time.Duration) {
	h := w.hour()
	w.setBool(a.id, "armed", h >= 8.5 && h < 18)
	w.set(a.id, "alarm", 0) // scenarios raise it as a fault
}
