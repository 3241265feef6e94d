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
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"facmon/alarms/auth"
	"facmon/alarms/centre"
	"facmon/alarms/console"
	"facmon/internal/web"
)

// cmdCentre runs the group monitoring centre: facmon centre --config
// centre.yaml (docs/centre.md).
func cmdCentre(args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("centre", flag.ContinueOnError)
	config := fs.String("config", "", "the centre's config file (centre.yaml)")
	dataDir := fs.String("data-dir", "./data-centre", "the centre's journal, users and sessions")
	listen := fs.String("listen", "", "address of the console and API (overrides centre.yaml listen)")
	clientID := fs.String("client-id", "", "MQTT client id on the central broker (overrides broker.client_id; each centre process needs its own)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "text or json")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *config == "" {
		fmt.Fprintln(stderr, "facmon centre: --config centre.yaml is required")
		return 2
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "facmon centre:", err)
		return 2
	}
	cfg, err := centre.LoadConfig(*config)
	if err != nil {
		printLoadErrors(stderr, err)
		return 1
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *clientID != "" {
		cfg.Broker.ClientID = *clientID
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runCentre(ctx, cfg, *dataDir, log); err != nil {
		log.Error("facmon centre stopped", "err", err)
		return 1
	}
	return 0
}

// runCentre wires the centre: the console's guard and page, the centre's
// board, journal and event stream, one listener.
func runCentre(ctx context.Context, cfg *centre.Config, dataDir string, log *slog.Logger) error {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	users, err := auth.Open(usersFile(dataDir))
	if err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	srv := web.New(web.Options{Listen: cfg.Listen, Gatherer: reg, Logger: log.With("part", "http")})
	guard := auth.New(auth.Options{Store: users, Open: []string{"/healthz", "/readyz", "/metrics"},
		SessionFile: filepath.Join(dataDir, "sessions.json"), Registerer: reg, Logger: log.With("part", "auth")})
	srv.Guard(guard.Wrap)
	guard.Mount(srv.Handle)
	var c *centre.Centre
	ns, err := centre.NewNotify(cfg, centre.NotifyOptions{DataDir: dataDir, Registerer: reg, Logger: log.With("part", "notify"),
		Acker: acklinkAcker(func(ctx context.Context, id, user string, at time.Time) error { return c.Ack(ctx, id, user, at) })})
	if err != nil {
		return err
	}
	var notifier centre.Notifier
	if ns != nil {
		defer ns.Close()
		notifier = ns.Service
		if ns.AckHandler != nil {
			srv.Handle("/ack/", ns.AckHandler)
		}
	}
	c, err = centre.New(centre.Options{Config: cfg, DataDir: dataDir, Notifier: notifier, User: auth.UserOf, Registerer: reg, Logger: log})
	if err != nil {
		return err
	}
	c.Mount(srv.Handle)
	console.New(console.Options{Site: func() console.SiteMap { return groupMap(cfg, c) }}).Mount(srv.Handle)
	log.Info("facmon centre starting", "listen", cfg.Listen, "sites", len(cfg.Sites), "broker", cfg.Broker.URL)
	var wg sync.WaitGroup
	httpCtx, stopHTTP := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	wg.Go(func() {
		if err := srv.Run(httpCtx); err != nil {
			errc <- err
		}
	})
	// The notifier outlives the centre's loop: the loop's last own
	// transitions still reach the outbox.
	notifyCtx, stopNotify := context.WithCancel(context.Background())
	if ns != nil {
		wg.Go(func() { _ = ns.Service.Run(notifyCtx) })
	}
	runErr := c.Run(ctx)
	select {
	case err := <-errc:
		runErr = err
	case <-time.After(10 * time.Millisecond):
	}
	stopNotify()
	stopHTTP()
	wg.Wait()
	return runErr
}

// acklinkAcker adapts a function to acklink.Acker.
type acklinkAcker func(ctx context.Context, id, user string, at time.Time) error

// Ack calls f.
func (f acklinkAcker) Ack(ctx context.Context, id, user string, at time.Time) error {
	return f(ctx, id, user, at)
}

// groupMap is the console's map at the centre: each site a tile (an area
// of the plan laid out in a grid), its worst alarm colouring it.
func groupMap(cfg *centre.Config, c *centre.Centre) console.SiteMap {
	m := console.SiteMap{Site: "centre", Name: cfg.Name, Timezone: cfg.Location.String(), Group: true}
	for _, t := range c.Tiles() {
		m.Areas = append(m.Areas, console.Area{ID: t.Site, Name: t.Name, Link: t.URL})
	}
	return m
}
