package sim

import (
	"time"

	"facmon/internal/site"
)

// restingValues are the values of the signals of quiet equipment, by
// kind: an NVR records and keeps 34 days, a fan runs, a fire-mains valve
// is open. Signals not listed rest at 0 (a door closed, no video loss, no
// line fault); scenarios change them through World.fault.
var restingValues = map[string]map[string]float64{
	"nvr":   {"recording": 1, "retention_days": 34},
	"fan":   {"running": 1},
	"valve": {"open": 1, "position": 100},
}

// quietKinds are the kinds buildEquipment models as resting equipment.
var quietKinds = []string{"nvr", "camera", "intercom", "door", "fan", "access_controller"}

// buildEquipment makes the models of the quiet security and building
// equipment: NVRs, cameras, intercoms, doors, fans, the fire mains'
// valves (purpose: fire; the other valves follow their pumps) and the
// access controllers, which release the doors while a fire panel is in
// fire alarm (篇3·十六·5 / 十七·2).
func (w *World) buildEquipment() {
	for _, kind := range quietKinds {
		for _, d := range w.devicesOf(kind) {
			w.models = append(w.models, newResting(d))
		}
	}
	for _, d := range w.devicesOf("valve") {
		if d.Labels["purpose"] == "fire" {
			w.models = append(w.models, newResting(d))
		}
	}
	panels := w.devicesOf("fire_panel")
	for _, d := range w.devicesOf("access_controller") {
		w.models = append(w.models, &access{id: d.ID, panels: panels})
	}
}

// resting holds a device's signals at their resting values.
type resting struct {
	id   string
	vals map[string]float64
}

func newResting(d *site.Device) *resting {
	r := &resting{id: d.ID, vals: map[string]float64{}}
	for _, sg := range d.Signals {
		r.vals[sg.Name] = restingValues[d.Kind][sg.Name]
	}
	return r
}

func (r *resting) step(w *World, _ time.Duration) {
	for sig, v := range r.vals {
		w.set(r.id, sig, v)
	}
}

// access is an access controller wired to the fire panels' linkage
// output: its doors are released while any panel is in fire alarm.
type access struct {
	id     string
	panels []*site.Device
}

func (a *access) step(w *World, _ time.Duration) {
	fire := false
	for _, p := range a.panels {
		fire = fire || w.get(p.ID, "fire_alarm") == 1
	}
	w.setBool(a.id, "doors_released", fire)
}
