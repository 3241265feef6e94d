// Package modbus is facmon's Modbus collector: it polls the site's Modbus
// devices over Modbus TCP, RTU on a serial line, or RTU framed over TCP,
// decodes their registers into Points and hands them to a Sink, keeps each
// device's online/offline status, and writes coils and registers for
// linkage actions.
//
// Each gateway (a TCP gateway or device, or a serial line) has one poller
// goroutine that owns its connection: devices behind it are polled one at a
// time, gateways concurrently, so a dead device delays only the neighbours
// on its own line, and each of its attempts by no more than its timeout.
// Each poll reads the fewest requests the protocol allows (see Plan).
package modbus

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/collectors"
	"facmon/internal/site"
)

// Options configure a Collector.
type Options struct {
	// Site is the community; its Modbus gateways and the devices with a
	// modbus section are polled.
	Site *site.Site
	// Sink receives signal points on each good poll and a status point
	// (collectors.StatusSignal) on each status change.
	Sink collectors.Sink
	// Registerer takes the collector's metrics; nil keeps them private.
	Registerer prometheus.Registerer
	// Logger; nil discards.
	Logger *slog.Logger
	// Now stamps points and drives the schedule; nil is time.Now. Waits
	// use the runtime's timers, so tests fake time with testing/synctest.
	Now func() time.Time
	// Dial makes a gateway's Client; nil is DialGoburrow.
	Dial Dialer
}

// Collector polls every Modbus gateway of a site.
type Collector struct {
	site    string
	sink    collectors.Sink
	log     *slog.Logger
	now     func() time.Time
	dial    Dialer
	metrics *metrics
	pollers []*poller
	devices map[string]*device
	byGW    map[string]*poller

	started atomic.Bool
	mu      sync.Mutex
	status  map[string]*DeviceState
}

// New checks the site's Modbus settings and builds the collector; every
// mistake is reported at once, as file:line: message.
func New(o Options) (*Collector, error) {
	if o.Site == nil || o.Sink == nil {
		return nil, errors.New("modbus: Options.Site and Options.Sink are required")
	}
	gws, err := configure(o.Site)
	if err != nil {
		return nil, err
	}
	c := &Collector{site: o.Site.ID, sink: o.Sink, log: o.Logger, now: o.Now, dial: o.Dial,
		devices: make(map[string]*device), byGW: make(map[string]*poller), status: make(map[string]*DeviceState)}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.dial == nil {
		c.dial = DialGoburrow
	}
	reg := o.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if c.metrics, err = newMetrics(reg); err != nil {
		return nil, err
	}
	for _, gc := range gws {
		p := newPoller(c, gc)
		c.pollers = append(c.pollers, p)
		c.byGW[gc.gw.ID] = p
		for _, d := range gc.devices {
			c.devices[d.id] = d
			c.status[d.id] = &DeviceState{Device: d.id, Kind: d.kind, Area: d.area, Gateway: d.gateway}
		}
	}
	return c, nil
}

// Run polls until ctx ends, one goroutine per gateway, and returns once
// they have all stopped. A site without Modbus devices just waits for ctx.
// Run may be called once.
func (c *Collector) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("modbus: Run called twice")
	}
	var wg sync.WaitGroup
	for _, p := range c.pollers {
		wg.Go(func() { p.run(ctx) })
	}
	wg.Wait()
	<-ctx.Done()
	return nil
}
