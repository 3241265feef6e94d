package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"facmon/internal/site"
)

// Scenario names, as `facmon simulate --scenario` and Trigger take them.
const (
	Normal      = "normal"
	MainsOutage = "mains-outage"
	TankDrain   = "tank-drain"
	Intrusion   = "intrusion"
	Unplug      = "unplug"
	BinFill     = "bin-fill"
	Flood       = "flood"
	FireAlarm   = "fire-alarm"
	// The equipment scenarios (scenario_equipment.go), one or more per
	// clause of the standard the seed rule pack serves.
	TankClean        = "tank-clean"
	FountainTimer    = "fountain-timer"
	PressureDrop     = "pressure-drop"
	FireLeak         = "fire-leak"
	FireValve        = "fire-valve"
	GeneratorLow     = "generator-low"
	UPSFault         = "ups-fault"
	DoorForced       = "door-forced"
	NVRFault         = "nvr-fault"
	IntercomFault    = "intercom-fault"
	Rainstorm        = "rainstorm"
	VentilationFault = "ventilation-fault"
	HomeAlarm        = "home-alarm"
	LightingFault    = "lighting-fault"
)

// Scenarios lists the scenario names. "unplug:DEVICE" unplugs a chosen
// device.
var Scenarios = []string{Normal, MainsOutage, TankDrain, Intrusion, Unplug, BinFill, Flood, FireAlarm,
	TankClean, FountainTimer, PressureDrop, FireLeak, FireValve, GeneratorLow, UPSFault, DoorForced,
	NVRFault, IntercomFault, Rainstorm, VentilationFault, HomeAlarm, LightingFault}

// Durations of the scenarios, in simulated time.
const (
	// OutageLength is how long the mains stay lost in mains-outage.
	OutageLength = 10 * time.Minute
	// IntrusionLength is how long a zone stays in alarm in intrusion.
	IntrusionLength = 2 * time.Minute
	// IntrusionStep is when the intruder reaches the next zone.
	IntrusionStep = 20 * time.Second
	// DrainFactor multiplies the tank's demand in tank-drain.
	DrainFactor = 4.0
	// BinFillFactor multiplies every bin's fill rate in bin-fill.
	BinFillFactor = 30.0
)

// Trigger starts a scenario now. Scenarios add to each other; normal
// ends them all.
func (w *World) Trigger(name string) error {
	dev, hasDev := strings.CutPrefix(name, Unplug+":")
	switch {
	case hasDev:
		return w.unplug(dev)
	case name == Normal:
		w.normal()
	case name == MainsOutage:
		w.power.loseMains(w.now)
		w.at(w.now.Add(OutageLength), func(w *World) { w.power.restoreMains(w.now) })
	case name == TankDrain:
		return w.drainTank()
	case name == Intrusion:
		return w.intrude()
	case name == Unplug:
		return w.unplugDefaults()
	case name == BinFill:
		return w.fillBins()
	case name == Flood:
		return w.flood()
	case name == FireAlarm:
		return w.raiseFire()
	case equipmentScenarios[name] != nil:
		return equipmentScenarios[name](w)
	default:
		return fmt.Errorf("scenario %q unknown (want %s, or unplug:DEVICE)", name, strings.Join(Scenarios, ", "))
	}
	return nil
}

// normal ends every scenario: mains back, fillers and zones healthy,
// devices plugged in, rates as configured.
func (w *World) normal() {
	w.events = nil
	clear(w.faults)
	w.power.restoreMains(w.now)
	for _, t := range w.tanks {
		t.demandFactor = 1
		for _, f := range t.fillers {
			f.stuck = false
		}
	}
	for _, m := range w.models {
		if b, ok := m.(*bin); ok {
			b.factor = 1
		}
	}
	for _, d := range w.devicesOf("perimeter_zone") {
		w.set(d.ID, "alarm", 0)
	}
	for _, d := range w.devicesOf("flood_sensor") {
		w.set(d.ID, "water", 0)
	}
	for _, d := range w.devicesOf("fire_panel") {
		w.set(d.ID, "fire_alarm", 0)
	}
	for _, m := range w.models {
		if p, ok := m.(*pit); ok {
			p.flood = false
		}
	}
	clear(w.unplugged)
}

// drainTank makes the first domestic tank (else the first tank) lose its
// filler and draw four times its demand, so its level falls to the low
// float.
func (w *World) drainTank() error {
	if len(w.tanks) == 0 {
		return fmt.Errorf("scenario %s: the site has no water_tank", TankDrain)
	}
	t := w.tanks[0]
	if i := slices.IndexFunc(w.tanks, func(t *tank) bool { return t.diurnal }); i >= 0 {
		t = w.tanks[i]
	}
	t.demandFactor = DrainFactor
	for _, f := range t.fillers {
		f.stuck = true
	}
	return nil
}

// intrude raises the first perimeter zone now and the next one
// IntrusionStep later, as an intruder walking along the wall; each clears
// after IntrusionLength.
func (w *World) intrude() error {
	zones := w.devicesOf("perimeter_zone")
	if len(zones) == 0 {
		return fmt.Errorf("scenario %s: the site has no perimeter_zone", Intrusion)
	}
	for i, z := range zones[:min(2, len(zones))] {
		id := z.ID
		start := w.now.Add(time.Duration(i) * IntrusionStep)
		w.at(start, func(w *World) { w.set(id, "alarm", 1) })
		w.at(start.Add(IntrusionLength), func(w *World) { w.set(id, "alarm", 0) })
	}
	w.runEvents()
	return nil
}

// unplugDefaults unplugs one Modbus device that has its unit to itself
// (a silent unit then silences only that device) and one MQTT device.
func (w *World) unplugDefaults() error {
	mb, mq := w.unplugTargets()
	if mb == "" && mq == "" {
		return fmt.Errorf("scenario %s: the site has no device to unplug", Unplug)
	}
	for _, id := range []string{mb, mq} {
		if id != "" {
			w.unplugged[id] = true
		}
	}
	return nil
}

// unplugTargets returns the devices the unplug scenario takes: the first
// Modbus device alone on its gateway unit, and the first MQTT device.
func (w *World) unplugTargets() (modbus, mqtt string) {
	units := map[string]int{}
	for _, d := range w.site.Devices {
		if d.Modbus != nil {
			units[unitKey(d.Modbus)]++
		}
	}
	for _, d := range w.site.Devices {
		switch {
		case d.Modbus != nil && modbus == "" && units[unitKey(d.Modbus)] == 1:
			modbus = d.ID
		case d.Modbus == nil && mqtt == "":
			mqtt = d.ID
		}
	}
	return modbus, mqtt
}

func unitKey(m *site.DeviceModbus) string { return fmt.Sprintf("%s/%d", m.Gateway, m.Unit) }

func (w *World) unplug(id string) error {
	if _, ok := w.site.Device(id); !ok {
		return fmt.Errorf("scenario %s: device %q not in the site", Unplug, id)
	}
	w.unplugged[id] = true
	return nil
}

// fillBins makes every bin fill BinFillFactor times faster and puts the
// first one at 80 %.
func (w *World) fillBins() error {
	first := true
	for _, m := range w.models {
		if b, ok := m.(*bin); ok {
			b.factor = BinFillFactor
			if first {
				b.fill, first = max(b.fill, 80), false
			}
		}
	}
	if first {
		return fmt.Errorf("scenario %s: the site has no bin", BinFill)
	}
	return nil
}

// flood lets water into the first elevator pit (it rises 20 cm a minute
// until normal) and wets the first flood sensor.
func (w *World) flood() error {
	wet := false
	for _, m := range w.models {
		if p, ok := m.(*pit); ok {
			p.flood, wet = true, true
			break
		}
	}
	if ds := w.devicesOf("flood_sensor"); len(ds) > 0 {
		w.set(ds[0].ID, "water", 1)
		wet = true
	}
	if !wet {
		return fmt.Errorf("scenario %s: the site has no elevator_pit or flood_sensor", Flood)
	}
	return nil
}

// raiseFire puts the first fire panel into fire alarm until normal.
func (w *World) raiseFire() error {
	ds := w.devicesOf("fire_panel")
	if len(ds) == 0 {
		return fmt.Errorf("scenario %s: the site has no fire_panel", FireAlarm)
	}
	w.set(ds[0].ID, "fire_alarm", 1)
	return nil
}
