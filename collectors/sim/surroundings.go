package sim

import (
	"hash/fnv"
	"math"
	"time"
)

// buildSurroundings makes the models of rooms, pits, doors, alarms and
// bins: mostly quiet devices that scenarios wake up.
func (w *World) buildSurroundings() {
	for _, d := range w.devicesOf("room") {
		w.models = append(w.models, &room{id: d.ID, base: label(d, "sim_temperature", 22+float64(idHash(d.ID)%6))})
	}
	for _, d := range w.devicesOf("bin") {
		w.models = append(w.models, &bin{id: d.ID, rate: label(d, "sim_fill_rate", 6), fill: float64(10 + idHash(d.ID)%40), factor: 1})
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

// room is an equipment room: its temperature follows the day around a
// base, and the generator room warms up while the generator runs.
type room struct {
	id    string
	base  float64
	drift float64
	heat  float64
}

func (r *room) step(w *World, dt time.Duration) {
	h := w.hour()
	r.drift = math.Max(-1.5, math.Min(1.5, r.drift+w.noise(0.02)))
	target := 0.0
	if w.power.genRunning && r.id == "room-generator-room" {
		target = 12
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
		b.fill = 3
	}
	b.last = h
	rate := b.rate * b.factor
	if h < 6 || h >= 23 {
		rate *= 0.1 // nobody takes out rubbish at night
	}
	b.fill = math.Min(100, b.fill+rate*hours(dt))
	w.set(b.id, "fill_level", math.Round(b.fill))
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
