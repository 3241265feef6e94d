package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"facmon/collectors/sim"
	"facmon/collectors/sim/broker"
	"facmon/internal/site"
	"facmon/seeds"
)

// cmdDemo runs the whole thing on one machine with no outside service: an
// embedded MQTT broker on loopback, the simulated demo community (Modbus
// slaves and MQTT publishers) and the service, console and /metrics on
// 127.0.0.1:8080.
func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var f runFlags
	f.register(fs)
	scenario := fs.String("scenario", sim.Normal, fmt.Sprintf("scenario to play: %v", sim.Scenarios))
	speed := fs.Float64("speed", 1, "run the simulated physics this many times faster than real time")
	start := fs.String("start", "", "simulated time to start at: HH:MM (site time, today) or RFC 3339 (default: now)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if f.dataDir == defaultDataDir() && os.Getenv("FACMON_DATA_DIR") == "" {
		f.dataDir = "facmon-demo-data"
	}
	f.demo = true
	log, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "facmon demo:", err)
		return 2
	}
	if f.config == "" {
		if f.config, err = seeds.WriteTo(filepath.Join(f.dataDir, "seeds")); err != nil {
			fmt.Fprintln(stderr, "facmon demo: write the demo site:", err)
			return 1
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runDemo(ctx, &f, *scenario, *speed, *start, stdout, stderr, log); err != nil {
		log.Error("facmon demo stopped", "err", err)
		return 1
	}
	return 0
}

// demoSubscribeWait is how long the simulator waits for facmon to
// subscribe before it starts anyway.
const demoSubscribeWait = 2 * time.Minute

// runDemo starts the broker and the simulator, points the site at them and
// serves it.
func runDemo(ctx context.Context, f *runFlags, scenario string, speed float64, start string, stdout, stderr io.Writer, log *slog.Logger) error {
	s, err := f.loadSite()
	if err != nil {
		printLoadErrors(stderr, err)
		return fmt.Errorf("site file %s is invalid", f.config)
	}
	simStart, err := sim.ParseStart(start, time.Now(), s.Location)
	if err != nil {
		return err
	}
	b, err := broker.Start(ctx, "127.0.0.1:0", log.With("part", "broker"))
	if err != nil {
		return fmt.Errorf("embedded broker: %w", err)
	}
	defer b.Close()
	s.MQTT.URL = b.URL()
	sm, err := sim.New(sim.Options{Site: s, BrokerURL: b.URL(), ListenAny: true, Scenario: scenario, Speed: speed,
		Start: simStart, Logger: log.With("part", "sim")})
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	addrs := sm.Addrs()
	f.override = func(s *site.Site) {
		s.MQTT.URL = b.URL()
		for i := range s.Modbus.Gateways {
			if a, ok := addrs[s.Modbus.Gateways[i].ID]; ok {
				s.Modbus.Gateways[i].Address = a
			}
		}
	}
	f.override(s)
	simCtx, stopSim := context.WithCancel(ctx)
	defer stopSim()
	simDone := make(chan error, 1)
	go func() {
		// The scenario's alarms are published as they happen, and a fresh
		// broker keeps nothing for a subscriber yet to come: the devices
		// start once facmon has subscribed to their topics.
		wait, cancel := context.WithTimeout(simCtx, demoSubscribeWait)
		if err := b.WaitSubscribers(wait, sm.Topics()); err != nil && simCtx.Err() == nil {
			log.Warn("demo: simulator starts before facmon subscribed", "err", err)
		}
		cancel()
		simDone <- sm.Run(simCtx)
	}()
	fmt.Fprintf(stdout, "facmon demo: site %q (%d devices), scenario %q; console and /metrics on http://%s\n",
		s.ID, len(s.Devices), scenario, s.HTTP.Listen)
	err = serve(ctx, s, f, log)
	stopSim()
	<-simDone
	return err
}
