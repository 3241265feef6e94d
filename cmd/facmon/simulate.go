package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/collectors/sim"
	"facmon/internal/site"
)

// cmdSimulate serves a site's devices for real: its Modbus gateways on the
// addresses of the site file, its MQTT devices publishing to the site's
// broker (or --broker), driven by the simulator's physics and scenario.
func cmdSimulate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	config := fs.String("config", "", "site file whose devices to simulate (required)")
	scenario := fs.String("scenario", sim.Normal, "scenario to play: "+strings.Join(sim.Scenarios, ", ")+", or unplug:DEVICE")
	broker := fs.String("broker", "", "MQTT broker URL for the MQTT devices (default: the site's mqtt.url)")
	speed := fs.Float64("speed", 1, "run the physics N times faster than the clock (timestamps stay real)")
	start := fs.String("start", "", "simulated time to start at: HH:MM (site time, today) or RFC 3339 (default: now)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "text or json")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *config == "" {
		fmt.Fprintln(stderr, "facmon simulate: --config SITE.yaml is required")
		return 2
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "facmon simulate:", err)
		return 2
	}
	s, err := site.Load(*config)
	if err != nil {
		printLoadErrors(stderr, err)
		return 1
	}
	simStart, err := sim.ParseStart(*start, time.Now(), s.Location)
	if err != nil {
		fmt.Fprintln(stderr, "facmon simulate:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sm, err := sim.New(sim.Options{Site: s, BrokerURL: *broker, Scenario: *scenario, Speed: *speed,
		Start: simStart, Logger: log, Registerer: prometheus.NewRegistry()})
	if err != nil {
		fmt.Fprintln(stderr, "facmon simulate:", err)
		return 1
	}
	printServed(stdout, s, sm, *broker, *scenario)
	if err := sm.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "facmon simulate:", err)
		return 1
	}
	return 0
}

// printServed tells the user where the simulated devices are.
func printServed(w io.Writer, s *site.Site, sm *sim.Sim, broker, scenario string) {
	addrs := sm.Addrs()
	ids := make([]string, 0, len(addrs))
	for id := range addrs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Fprintf(w, "facmon simulate: site %q, scenario %s\n", s.ID, scenario)
	for _, id := range ids {
		fmt.Fprintf(w, "  modbus gateway %-20s %s\n", id, addrs[id])
	}
	if broker == "" {
		broker = s.MQTT.URL
	}
	if broker != "" {
		fmt.Fprintf(w, "  mqtt devices publish to   %s\n", broker)
	}
}
