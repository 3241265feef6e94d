package sim

import (
	"fmt"
	"slices"
	"time"

	"facmon/internal/site"
)

// Timings and sizes of the equipment scenarios.
const (
	// FireLeakFactor multiplies a fire tank's loss in fire-leak: 0.6 m/h
	// from a 4 m tank, which its make-up pump refills over and over.
	FireLeakFactor = 300.0
	// HomeAlarmStep is the time between the households' alarms in
	// home-alarm.
	HomeAlarmStep = 20 * time.Second
)

// equipmentScenarios are the scenarios that put a fault on equipment, so
// that each rule of the seed pack fires in one of them.
var equipmentScenarios = map[string]func(w *World) error{
	TankClean:        (*World).cleanTank,
	FountainTimer:    (*World).stickFountainTimer,
	PressureDrop:     (*World).dropPressure,
	FireLeak:         (*World).leakFireWater,
	FireValve:        (*World).closeFireValve,
	GeneratorLow:     (*World).runGeneratorLow,
	UPSFault:         (*World).failUPS,
	DoorForced:       (*World).forceDoor,
	NVRFault:         (*World).failNVR,
	IntercomFault:    (*World).failIntercom,
	Rainstorm:        (*World).rain,
	VentilationFault: (*World).failVentilation,
	HomeAlarm:        (*World).alarmHomes,
	LightingFault:    (*World).stickLighting,
}

// devicesWith returns the site's devices of a kind whose label key is val
// (any device of the kind when key is "").
func (w *World) devicesWith(kind, key, val string) []*site.Device {
	return slices.DeleteFunc(w.devicesOf(kind), func(d *site.Device) bool { return key != "" && d.Labels[key] != val })
}

// need returns an error naming the scenario and what the site lacks when
// ds has fewer than n devices.
func need(scenario string, ds []*site.Device, n int, what string) error {
	if len(ds) < n {
		return fmt.Errorf("scenario %s: the site has no %s", scenario, what)
	}
	return nil
}

// cleanTank isolates the second domestic tank for cleaning and drains the
// first, as tank-drain does: one isolated and the other low (篇3·十四·3).
func (w *World) cleanTank() error {
	ds := w.devicesWith("water_tank", "purpose", "domestic")
	if err := need(TankClean, ds, 2, "two domestic water_tank"); err != nil {
		return err
	}
	w.fault(ds[1].ID, "usable_level", 0)
	w.fault(ds[1].ID, "isolated", 1)
	return w.drainTank()
}

// stickFountainTimer keeps every fountain's time switch on, past 22:00
// (篇3·十三·3).
func (w *World) stickFountainTimer() error {
	ds := w.devicesOf("fountain")
	for _, d := range ds {
		w.fault(d.ID, "timer_on", 1)
	}
	return need(FountainTimer, ds, 1, "fountain")
}

// dropPressure lets the first booster pump's outlet pressure fall to
// 0.12 MPa, an air lock or a burst main (篇3·十四·4).
func (w *World) dropPressure() error {
	ds := w.devicesWith("pump", "role", "booster")
	if err := need(PressureDrop, ds, 1, "pump with role: booster"); err != nil {
		return err
	}
	w.fault(ds[0].ID, "pressure", 0.12)
	return nil
}

// leakFireWater makes the first fire tank lose FireLeakFactor times its
// evaporation: its make-up pump refills it again and again, and the fire
// branch's water meter counts it (篇3·十六·2).
func (w *World) leakFireWater() error {
	for _, t := range w.tanks {
		if !t.diurnal {
			t.demandFactor = FireLeakFactor
			return nil
		}
	}
	return fmt.Errorf("scenario %s: the site has no fire water_tank", FireLeak)
}

// closeFireValve closes the first fire-mains valve; the fire panel's
// supervisory input follows (篇3·十六·1).
func (w *World) closeFireValve() error {
	ds := w.devicesWith("valve", "purpose", "fire")
	if err := need(FireValve, ds, 1, "valve with purpose: fire"); err != nil {
		return err
	}
	w.fault(ds[0].ID, "open", 0)
	w.fault(ds[0].ID, "position", 0)
	for _, p := range w.devicesOf("fire_panel") {
		w.fault(p.ID, "supervisory", 1)
	}
	return nil
}

// runGeneratorLow leaves the generator with 18 % fuel and a starter
// battery at 22.8 V (篇3·十五·7).
func (w *World) runGeneratorLow() error {
	ds := w.devicesOf("generator")
	if err := need(GeneratorLow, ds, 1, "generator"); err != nil {
		return err
	}
	w.fault(ds[0].ID, "fuel_level", 18)
	w.fault(ds[0].ID, "battery_voltage", 22.8)
	return nil
}

// failUPS puts the first UPS into fault with 8 minutes of runtime left,
// and ages the battery of the UPS that feeds access control to 900
// minutes, short of 21 hours (篇3·十五·2 / 十七·2).
func (w *World) failUPS() error {
	ds := w.devicesOf("ups")
	if err := need(UPSFault, ds, 1, "ups"); err != nil {
		return err
	}
	w.fault(ds[0].ID, "fault", 1)
	w.fault(ds[0].ID, "runtime", 8)
	for _, d := range w.devicesWith("ups", "feeds", "access") {
		w.fault(d.ID, "runtime", 900)
	}
	return nil
}

// forceDoor forces the last door of the site (the demo's roof fire door)
// open and leaves it open (篇3·十七·1, 十七·3).
func (w *World) forceDoor() error {
	ds := w.devicesOf("door")
	if err := need(DoorForced, ds, 1, "door"); err != nil {
		return err
	}
	d := ds[len(ds)-1]
	w.fault(d.ID, "forced", 1)
	w.fault(d.ID, "open", 1)
	return nil
}

// failNVR fails the NVR's disk: recording stops and the retention falls to
// 12 days; the first camera's video is lost and the last camera drops off
// the network (篇3·二十·9 / 二十·10).
func (w *World) failNVR() error {
	nvrs, cams := w.devicesOf("nvr"), w.devicesOf("camera")
	if len(nvrs)+len(cams) == 0 {
		return fmt.Errorf("scenario %s: the site has no nvr or camera", NVRFault)
	}
	for _, d := range nvrs[:min(1, len(nvrs))] {
		w.fault(d.ID, "disk_fault", 1)
		w.fault(d.ID, "recording", 0)
		w.fault(d.ID, "retention_days", 12)
	}
	if len(cams) > 0 {
		w.fault(cams[0].ID, "video_loss", 1)
		w.unplugged[cams[len(cams)-1].ID] = true
	}
	return nil
}

// failIntercom shorts the last intercom's line and cuts the first one's
// data line (篇3·十八·2).
func (w *World) failIntercom() error {
	ds := w.devicesOf("intercom")
	if err := need(IntercomFault, ds, 1, "intercom"); err != nil {
		return err
	}
	w.fault(ds[len(ds)-1].ID, "line_fault", 2)
	if len(ds) > 1 {
		w.unplugged[ds[0].ID] = true
	}
	return nil
}

// rain wets the garden's waterlogging sensors and the basement roof's leak
// sensors (篇3·十一·7 / 十一·9).
func (w *World) rain() error {
	ds := append(w.devicesWith("flood_sensor", "place", "garden"), w.devicesWith("flood_sensor", "place", "basement_roof")...)
	for _, d := range ds {
		w.fault(d.ID, "water", 1)
	}
	return need(Rainstorm, ds, 1, "flood_sensor with place: garden or basement_roof")
}

// failVentilation stops the first fan with a fault: the rooms of its area
// grow humid; and the refuse station's cooling fails (篇3·二·5 /
// 二十四·3, 八·2).
func (w *World) failVentilation() error {
	fans := w.devicesOf("fan")
	if err := need(VentilationFault, fans, 1, "fan"); err != nil {
		return err
	}
	w.fault(fans[0].ID, "fault", 1)
	w.fault(fans[0].ID, "running", 0)
	for _, r := range w.devicesOf("room") {
		switch {
		case r.Area == fans[0].Area:
			w.fault(r.ID, "humidity", 88)
		case r.Labels["purpose"] == "refuse":
			w.fault(r.ID, "temperature", 34)
		}
	}
	return nil
}

// alarmHomes presses the last household's emergency button now, sets off
// the next one's smoke detector HomeAlarmStep later and the first one's
// gas detector after that (篇3·十九·1); they stay in alarm until normal.
func (w *World) alarmHomes() error {
	ds := w.devicesOf("home_alarm")
	if err := need(HomeAlarm, ds, 1, "home_alarm"); err != nil {
		return err
	}
	slices.Reverse(ds)
	for i, code := range []float64{2, 3, 4} { // emergency, smoke, gas
		if i < len(ds) {
			id := ds[i].ID
			w.at(w.now.Add(time.Duration(i)*HomeAlarmStep), func(w *World) { w.fault(id, "alarm", code) })
		}
	}
	w.runEvents()
	return nil
}

// stickLighting keeps the half-night circuits on around the clock: their
// time switch has failed (篇3·十五·4, 十二·1).
func (w *World) stickLighting() error {
	ds := w.devicesWith("lighting_circuit", "schedule", "half_night")
	for _, d := range ds {
		w.fault(d.ID, "on", 1)
	}
	return need(LightingFault, ds, 1, "lighting_circuit with schedule: half_night")
}
