package sim

import (
	"time"

	"facmon/internal/site"
)

// Timings of the generator controller (simulated time). The 3-minute
// run-on after the mains returns is the cool-down the standard's
// generator rule watches for (篇3·十五·7).
const (
	// GenStartDelay is how long the mains must be lost before the
	// generator is started (it rides through short dips).
	GenStartDelay = 10 * time.Second
	// TransferDelay is how long the generator runs before the transfer
	// switch moves the load onto it (voltage and frequency settle).
	TransferDelay = 5 * time.Second
	// RetransferDelay is how long the mains must be back before the load
	// moves back to it.
	RetransferDelay = 10 * time.Second
	// GenRunOn is how long the generator keeps running after the mains
	// returns, to cool down, before it stops.
	GenRunOn = 3 * time.Minute
)

// Transfer-switch positions, as the demo's position signal names them.
const (
	onMains     = 0
	onGenerator = 1
	switchOpen  = 2
)

// power is the mains, the generator, the transfer switch and the UPS:
// they act together, so one model drives all four.
type power struct {
	mains, gen, ats string
	ups             []*upsUnit

	mainsUp    bool
	lostAt     time.Time
	backAt     time.Time
	genRunning bool
	genFault   bool
	genSince   time.Time
	position   int
	fuel       float64
	genHours   float64
}

// upsUnit is one UPS: its battery lasts Minutes from full (label
// sim_runtime, default 45) and recharges in five hours.
type upsUnit struct {
	id      string
	minutes float64
	charge  float64 // %
}

func firstID(ds []*site.Device) string {
	if len(ds) == 0 {
		return ""
	}
	return ds[0].ID
}

func newPower(w *World) *power {
	p := &power{mains: firstID(w.devicesOf("mains")), gen: firstID(w.devicesOf("generator")),
		ats: firstID(w.devicesOf("transfer_switch")), mainsUp: true, position: onMains, fuel: 86, genHours: 412.3}
	for _, d := range w.devicesOf("ups") {
		p.ups = append(p.ups, &upsUnit{id: d.ID, minutes: label(d, "sim_runtime", 45), charge: 100})
	}
	return p
}

// supplied reports whether the community's loads have power.
func (p *power) supplied() bool { return p.position != switchOpen }

// loseMains starts an outage now.
func (p *power) loseMains(now time.Time) {
	if p.mainsUp {
		p.mainsUp, p.lostAt = false, now
	}
}

// restoreMains ends an outage now.
func (p *power) restoreMains(now time.Time) {
	if !p.mainsUp {
		p.mainsUp, p.backAt = true, now
	}
}

func (p *power) step(w *World, dt time.Duration) {
	now := w.now
	p.control(now)
	p.transfer(now)
	if p.genRunning {
		p.fuel = max(0, p.fuel-6*hours(dt))
		p.genHours += hours(dt)
	}
	p.stepUPS(dt)
	p.publish(w)
}

// control starts the generator after GenStartDelay without mains, and
// stops it GenRunOn after the mains came back.
func (p *power) control(now time.Time) {
	switch {
	case !p.mainsUp && !p.genRunning && !p.genFault && p.gen != "" && now.Sub(p.lostAt) >= GenStartDelay:
		p.genRunning, p.genSince = true, now
	case p.mainsUp && p.genRunning && now.Sub(p.backAt) >= GenRunOn:
		p.genRunning = false
	}
}

// transfer moves the switch: to the generator once it has run
// TransferDelay, back to the mains RetransferDelay after it returned, and
// open while neither source is there.
func (p *power) transfer(now time.Time) {
	switch {
	case p.mainsUp && (p.position == switchOpen || now.Sub(p.backAt) >= RetransferDelay):
		p.position = onMains
	case p.mainsUp:
		// On the generator until the mains has been back long enough.
	case p.genRunning && now.Sub(p.genSince) >= TransferDelay:
		p.position = onGenerator
	default:
		p.position = switchOpen
	}
}

// stepUPS drains the batteries while nothing supplies the load, and
// recharges them otherwise.
func (p *power) stepUPS(dt time.Duration) {
	for _, u := range p.ups {
		if p.supplied() {
			u.charge = min(100, u.charge+20*hours(dt)) // five hours to recharge
			continue
		}
		u.charge = max(0, u.charge-100/(u.minutes/60)*hours(dt))
	}
}

func (p *power) publish(w *World) {
	w.setBool(p.mains, "present", p.mainsUp)
	for _, ph := range []string{"voltage_a", "voltage_b", "voltage_c"} {
		w.set(p.mains, ph, b2f(p.mainsUp)*(228+w.noise(2)))
	}
	w.set(p.mains, "frequency", b2f(p.mainsUp)*(50+w.noise(0.03)))
	p.publishGenerator(w)
	w.set(p.ats, "position", float64(p.position))
	w.setBool(p.ats, "on_mains", p.position == onMains)
	w.setBool(p.ats, "on_generator", p.position == onGenerator)
	for _, u := range p.ups {
		w.setBool(u.id, "on_battery", !p.supplied())
		w.setBool(u.id, "battery_low", u.charge < 30)
		w.setBool(u.id, "fault", false)
		w.set(u.id, "battery_charge", u.charge)
		w.set(u.id, "runtime", u.charge/100*u.minutes) // at 35 % load
		w.set(u.id, "load", 35+w.noise(1))
	}
}

func (p *power) publishGenerator(w *World) {
	g := p.gen
	w.setBool(g, "running", p.genRunning)
	w.setBool(g, "fault", p.genFault)
	w.set(g, "fuel_level", p.fuel)
	w.set(g, "run_hours", p.genHours)
	volts := 27.2 // charger float voltage of a 24 V starter battery
	if !p.mainsUp && !p.genRunning {
		volts = 25.1 // charger off with the mains
	}
	w.set(g, "battery_voltage", volts+w.noise(0.05))
	load := 0.0
	switch {
	case p.position == onGenerator:
		load = 85 + w.noise(3)
	case p.genRunning:
		load = 1.5 // idling, cooling down
	}
	w.set(g, "power", load)
	w.set(g, "frequency", b2f(p.genRunning)*(50+w.noise(0.1)))
}
