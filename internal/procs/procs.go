// Package procs owns how many processors the Go runtime schedules
// facmon's goroutines on (GOMAXPROCS): one while the process is nearly
// idle, the runtime's default as soon as it is busy.
//
// Why: a community's devices keep facmon busy a few per cent of one core,
// spread over thousands of small wake-ups a second (a message read, its
// points handed to the alarm engine, a group commit's fsync and acks).
// With two or more processors, every hand-off from one goroutine to
// another while a processor is idle also wakes an idle OS thread to look
// for work (the runtime's wakep), which usually finds none and sleeps
// again; on the virtual machines facmon runs on, such a sleep and wake
// costs tens of microseconds of CPU, more than the work it was woken for.
// With one processor the hand-off stays on the running thread. Measured
// at a steady 2,000 MQTT messages a second: 0.85x the CPU per message
// (docs/storage.md, "The Go runtime's share").
//
// One processor is only right while the load is light: the governor
// samples the process's CPU time every Every, returns to the runtime's
// default (runtime.SetDefaultGOMAXPROCS: all CPUs the process may use,
// cgroup limits respected, automatic updates back on) as soon as a sample
// exceeds High cores, and goes back to one after Calm samples in a row at
// or below Low. A burst of points therefore runs on every processor
// within a period or two; a part that knows it has fallen behind (the
// MQTT collector draining a backlog) calls Busy, which switches at once.
// A GOMAXPROCS environment variable is the operator's choice: then the
// governor does nothing.
package procs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Options.
const (
	// DefaultEvery is the sampling period: how long a burst may run on
	// one processor before the others are added (up to two periods when
	// it starts within one). Each sample is a timer, and each timer also
	// wakes the runtime's sysmon thread: twice a second is cheap.
	DefaultEvery = 500 * time.Millisecond
	// DefaultHigh: above half a core, one processor is busy half the
	// time and a goroutine readied (an alarm's evaluation) may queue
	// behind another's work; use them all.
	DefaultHigh = 0.5
	// DefaultLow: at or below a quarter of a core, one processor is
	// plenty (facmon at 10,000 messages a second uses ~0.15).
	DefaultLow = 0.25
	// DefaultCalm samples at or below Low (2 s at DefaultEvery) before
	// going back to one: a pause inside a burst does not flap.
	DefaultCalm = 4
)

// Options configure a Governor. All fields are optional.
type Options struct {
	Every     time.Duration
	High, Low float64 // cores
	Calm      int     // samples
	// CPU returns the process's CPU time (user + system) so far; default
	// getrusage(RUSAGE_SELF).
	CPU func() (time.Duration, error)
	// Set applies a decision: one processor (true) or the runtime's
	// default (false). Default: runtime.GOMAXPROCS(1) and
	// runtime.SetDefaultGOMAXPROCS.
	Set func(one bool)
	// Default returns how many processors the runtime's default gives;
	// at one or fewer there is nothing to govern. Default: GOMAXPROCS(0)
	// at New, unless the GOMAXPROCS environment variable is set (then 0).
	Default    func() int
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Governor switches between one processor and the default. New builds
// it, Run runs it; it is the only writer of GOMAXPROCS in facmon.
type Governor struct {
	o       Options
	busy    chan struct{}
	procs   prometheus.Gauge
	changes prometheus.Counter
	load    prometheus.Gauge
}

// New makes a governor; it changes nothing until Run.
func New(o Options) *Governor {
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	if o.High <= 0 {
		o.High = DefaultHigh
	}
	if o.Low <= 0 || o.Low > o.High {
		o.Low = min(DefaultLow, o.High)
	}
	if o.Calm <= 0 {
		o.Calm = DefaultCalm
	}
	if o.CPU == nil {
		o.CPU = processCPU
	}
	if o.Set == nil {
		o.Set = setRuntime
	}
	if o.Default == nil {
		n := runtime.GOMAXPROCS(0)
		if os.Getenv("GOMAXPROCS") != "" {
			n = 0
		}
		o.Default = func() int { return n }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	g := &Governor{o: o, busy: make(chan struct{}, 1),
		procs: prometheus.NewGauge(prometheus.GaugeOpts{Name: "facmon_gomaxprocs",
			Help: "Processors the Go runtime schedules on, as the governor set them (0: not governed)."}),
		changes: prometheus.NewCounter(prometheus.CounterOpts{Name: "facmon_gomaxprocs_changes_total",
			Help: "How often the governor switched between one processor and the default."}),
		load: prometheus.NewGauge(prometheus.GaugeOpts{Name: "facmon_process_cpu_cores",
			Help: "The process's CPU use over the governor's last sample, in cores."}),
	}
	o.Registerer.MustRegister(g.procs, g.changes, g.load)
	return g
}

// Busy says that work has piled up (a backlog to drain): the governor
// uses every processor at once, and counts its calm samples afresh. It
// never blocks; a nil Governor ignores it.
func (g *Governor) Busy() {
	if g == nil {
		return
	}
	select {
	case g.busy <- struct{}{}:
	default:
	}
}

// Run governs until ctx ends, then restores the runtime's default. With a
// default of one processor or fewer, or GOMAXPROCS set in the
// environment, it only waits for ctx.
func (g *Governor) Run(ctx context.Context) error {
	n := g.o.Default()
	if n <= 1 {
		g.o.Logger.Info("processor governor off", "gomaxprocs", runtime.GOMAXPROCS(0), "environment", os.Getenv("GOMAXPROCS") != "")
		<-ctx.Done()
		return nil
	}
	g.procs.Set(float64(n))
	var p policy
	p.init(g.o)
	defer func() {
		if p.one {
			g.o.Set(false)
		}
	}()
	prev, err := g.o.CPU()
	if err != nil {
		return fmt.Errorf("procs: read process CPU time: %w", err)
	}
	t := time.NewTicker(g.o.Every)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-g.busy:
			if p.busy() {
				g.apply(false, n, "reason", "busy")
			}
		case now := <-t.C:
			cpu, err := g.o.CPU()
			if err != nil {
				return fmt.Errorf("procs: read process CPU time: %w", err)
			}
			elapsed := now.Sub(last)
			if elapsed <= 0 {
				continue
			}
			cores := float64(cpu-prev) / float64(elapsed)
			prev, last = cpu, now
			g.load.Set(cores)
			if one, changed := p.sample(cores); changed {
				g.apply(one, n, "cpu_cores", cores)
			}
		}
	}
}

// apply switches and records it; why is logged.
func (g *Governor) apply(one bool, n int, why ...any) {
	g.o.Set(one)
	g.changes.Inc()
	if one {
		g.procs.Set(1)
	} else {
		g.procs.Set(float64(n))
	}
	g.o.Logger.Debug("processor governor", append([]any{"one", one}, why...)...)
}

// policy is the governor's decision from its samples.
type policy struct {
	high, low float64
	calm      int
	one       bool // running on one processor
	quiet     int  // samples in a row at or below low
}

func (p *policy) init(o Options) { p.high, p.low, p.calm = o.High, o.Low, o.Calm }

// sample takes one sample of CPU use in cores and says whether to run on
// one processor, and whether that changed.
func (p *policy) sample(cores float64) (one, changed bool) {
	if cores <= p.low {
		p.quiet++
	} else {
		p.quiet = 0
	}
	switch {
	case p.one && cores > p.high:
		p.one = false
		return false, true
	case !p.one && p.quiet >= p.calm:
		p.one = true
		return true, true
	}
	return p.one, false
}

// busy records a Busy call and says whether to leave one processor.
func (p *policy) busy() (changed bool) {
	p.quiet = 0
	if !p.one {
		return false
	}
	p.one = false
	return true
}

// processCPU is the process's user and system CPU time so far.
func processCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// setRuntime sets GOMAXPROCS to one or back to the runtime's default.
func setRuntime(one bool) {
	if one {
		runtime.GOMAXPROCS(1)
		return
	}
	runtime.SetDefaultGOMAXPROCS()
}
