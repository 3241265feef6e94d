// Package sim is the simulated community behind `facmon simulate` and
// `facmon demo`: it serves a site's Modbus devices as real Modbus TCP (and
// RTU-over-TCP) slaves through modbussim, publishes its MQTT devices to a
// broker in the payload format their subscription declares, and drives
// every value from a World with plausible physics — tanks, pumps, the
// generator and transfer switch, meters, PV, rooms, bins — and scenarios
// (mains outage, tank draining, intrusion, unplugged device, bins filling).
//
// Subpackage modbussim is the Modbus slave server; broker is the embedded
// MQTT broker of the demo.
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/internal/site"
)

// DefaultTick is how often (in real time) the world steps and the
// devices' values are refreshed.
const DefaultTick = 250 * time.Millisecond

// Options configure a Sim. Site is required.
type Options struct {
	// Site is the community to simulate (site.Load'ed, defaults applied).
	Site *site.Site
	// BrokerURL is where MQTT devices publish; empty means the site's
	// mqtt.url. With neither, MQTT devices are not simulated.
	BrokerURL string
	// ListenAny binds every Modbus gateway on 127.0.0.1:0 instead of the
	// site's addresses; Addrs reports where each one landed.
	ListenAny bool
	// Scenario is triggered when the Sim is built (default normal).
	Scenario string
	// Speed runs the physics that many times faster than the clock
	// (default 1). Point timestamps stay on the clock: see docs/simulator.md.
	Speed float64
	// Start is the simulated world's time when New runs; zero is the
	// clock's. The physics that follow the hour (bins, rooms, lighting)
	// start from it, so a test can run the world at any hour of the day;
	// point timestamps stay on the clock.
	Start time.Time
	// Now is the clock; nil is time.Now. Run's ticker uses the runtime's
	// timers, so tests fake both with testing/synctest.
	Now func() time.Time
	// Tick is the step of the loop in real time (default DefaultTick).
	Tick time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
	// Registerer takes the simulator's metrics; nil keeps them private.
	Registerer prometheus.Registerer
}

// Sim is a running simulated community. New binds its Modbus gateways;
// Run drives the physics and publishes until its context ends.
type Sim struct {
	opts     Options
	log      *slog.Logger
	gateways []*gateway
	pub      *publisher
	metrics  *metrics

	mu        sync.Mutex
	world     *World
	realStart time.Time // the clock when New ran
	simStart  time.Time // the world's time then

	closeOnce sync.Once
}

// New builds the world, starts the Modbus gateways (so Addrs is known at
// once) and triggers the starting scenario. Call Run, or Close if Run is
// never called.
func New(o Options) (*Sim, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sim{opts: o, log: o.Logger, realStart: o.Now(), simStart: o.Start}
	if s.simStart.IsZero() {
		s.simStart = s.realStart
	}
	if s.metrics, err = newMetrics(o.Registerer); err != nil {
		return nil, err
	}
	s.world = NewWorld(o.Site, s.simStart)
	if err := s.world.Trigger(o.Scenario); err != nil {
		return nil, err
	}
	s.metrics.scenarios.WithLabelValues(o.Scenario).Inc()
	if s.gateways, err = startGateways(context.Background(), o.Site, o.ListenAny, o.Logger); err != nil {
		return nil, err
	}
	s.pub = newPublisher(o, mqttDevices(o.Site), s.metrics)
	s.store()
	return s, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Site == nil {
		return o, errors.New("sim: Options.Site is required")
	}
	if o.Speed < 0 {
		return o, fmt.Errorf("sim: speed %v is negative", o.Speed)
	}
	if o.Speed == 0 {
		o.Speed = 1
	}
	if o.Scenario == "" {
		o.Scenario = Normal
	}
	if o.BrokerURL == "" {
		o.BrokerURL = o.Site.MQTT.URL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tick <= 0 {
		o.Tick = DefaultTick
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	return o, nil
}

// Addrs maps each served gateway's id to the host:port it listens on.
func (s *Sim) Addrs() map[string]string {
	out := make(map[string]string, len(s.gateways))
	for _, g := range s.gateways {
		out[g.id] = g.srv.Addr()
	}
	return out
}

// Topics are the MQTT topics the simulated devices publish on, each once.
func (s *Sim) Topics() []string {
	if s.pub == nil {
		return nil
	}
	var out []string
	for _, d := range s.pub.devices {
		out = append(out, d.topics()...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// UseAddrs points the site's Modbus gateways at the addresses a Sim bound
// (Addrs), so a collector built from s polls the simulator.
func UseAddrs(s *site.Site, addrs map[string]string) {
	for i := range s.Modbus.Gateways {
		g := &s.Modbus.Gateways[i]
		if a, ok := addrs[g.ID]; ok {
			g.Address = a
		}
	}
}

// Trigger starts a scenario now (see Scenarios).
func (s *Sim) Trigger(scenario string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.world.Trigger(scenario); err != nil {
		return err
	}
	s.metrics.scenarios.WithLabelValues(scenario).Inc()
	s.log.Info("sim: scenario", "scenario", scenario, "sim_time", s.world.Now())
	return nil
}

// Value is the simulated value of a device's signal now, in its unit.
func (s *Sim) Value(device, signal string) (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.world.Value(device, signal)
}

// Run steps the world every tick, stores Modbus values and publishes MQTT
// messages until ctx ends; then it closes the gateways and disconnects.
func (s *Sim) Run(ctx context.Context) error {
	defer s.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.pub != nil {
		wg.Go(func() { s.pub.run(ctx) })
	}
	t := time.NewTicker(s.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.tick()
		}
	}
}

// simTime is the world's time for a clock reading: the world's start plus
// the elapsed real time times Speed.
func (s *Sim) simTime(now time.Time) time.Time {
	return s.simStart.Add(time.Duration(float64(now.Sub(s.realStart)) * s.opts.Speed))
}

// tick advances the world to the clock and refreshes every device.
func (s *Sim) tick() {
	now := s.opts.Now()
	s.mu.Lock()
	s.world.Step(s.simTime(now))
	s.mu.Unlock()
	s.metrics.ticks.Inc()
	s.store()
	if s.pub != nil {
		s.mu.Lock()
		msgs := s.pub.collect(s.world, now)
		s.mu.Unlock()
		s.pub.enqueue(msgs)
	}
}

// store writes the world into every gateway's registers.
func (s *Sim) store() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.gateways {
		g.store(s.world, s.log)
	}
}

// Close stops the Modbus gateways. Run calls it on return.
func (s *Sim) Close() {
	s.closeOnce.Do(func() { closeGateways(s.gateways) })
}

// metrics are the simulator's counters.
type metrics struct {
	ticks     prometheus.Counter
	published *prometheus.CounterVec
	scenarios *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		ticks: prometheus.NewCounter(prometheus.CounterOpts{Name: "facmon_sim_ticks_total",
			Help: "Steps of the simulated world."}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "facmon_sim_mqtt_messages_total",
			Help: "MQTT messages the simulated devices published, by result (ok, error, dropped)."}, []string{"result"}),
		scenarios: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "facmon_sim_scenarios_total",
			Help: "Scenarios triggered, by name."}, []string{"scenario"}),
	}
	for _, c := range []prometheus.Collector{m.ticks, m.published, m.scenarios} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("sim: metrics: %w", err)
		}
	}
	return m, nil
}
