package main

import (
	"context"
	"errors"
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
	"facmon/collectors/influx"
	"facmon/collectors/spool"
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
	store, err := openCentreStore(cfg.Influx, dataDir, reg, log)
	if err != nil {
		return err
	}
	if store != nil {
		defer store.close(log) // after the writer stopped (below)
	}
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
	o := centre.Options{Config: cfg, DataDir: dataDir, Notifier: notifier, User: auth.UserOf, Registerer: reg, Logger: log}
	if store != nil {
		o.Store, o.StatusEvery = store.writer, time.Duration(cfg.Influx.Interval)
	}
	c, err = centre.New(o)
	if err != nil {
		return err
	}
	c.Mount(srv.Handle)
	console.New(console.Options{Site: func() console.SiteMap { return groupMap(cfg, c) }}).Mount(srv.Handle)
	log.Info("facmon centre starting", "listen", cfg.Listen, "sites", len(cfg.Sites), "broker", cfg.Broker.URL, "influx", cfg.Influx != nil)
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
	// The writer too: the loop's last site_status points reach the spool.
	storeCtx, stopStore := context.WithCancel(context.Background())
	if store != nil {
		wg.Go(func() {
			if err := store.writer.Run(storeCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("influx writer stopped", "err", err)
			}
		})
	}
	runErr := c.Run(ctx)
	select {
	case err := <-errc:
		runErr = err
	case <-time.After(10 * time.Millisecond):
	}
	stopNotify()
	stopHTTP()
	if store != nil {
		flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := store.writer.Close(flushCtx); err != nil {
			log.Warn("site status flush incomplete; the rest stays in the spool", "err", err)
		}
		cancel()
	}
	stopStore()
	wg.Wait()
	return runErr
}

// centreStore is the centre's spooled InfluxDB writer of the group's view.
type centreStore struct {
	spool  *spool.Spool
	writer *influx.Writer
}

// openCentreStore opens the spool and the writer of centre.yaml's influx
// section (nil without one).
func openCentreStore(in *centre.Influx, dataDir string, reg prometheus.Registerer, log *slog.Logger) (*centreStore, error) {
	if in == nil {
		return nil, nil
	}
	dir := in.Spool.Dir
	if dir == "" {
		dir = filepath.Join(dataDir, "spool")
	}
	sp, err := spool.Open(spool.Options{Dir: dir, MaxBytes: int64(in.Spool.MaxBytes), SegmentBytes: int64(in.Spool.SegmentBytes),
		SyncWindow: time.Duration(in.Spool.SyncWindow), Registerer: reg, Logger: log.With("part", "spool")})
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	w, err := influx.New(influx.Options{URL: in.URL, Org: in.Org, Bucket: in.Bucket, Token: string(in.Token), Gzip: true,
		Spool: sp, Registerer: reg, Logger: log.With("part", "influx")})
	if err != nil {
		sp.Close()
		return nil, fmt.Errorf("influx writer: %w", err)
	}
	return &centreStore{spool: sp, writer: w}, nil
}

// close closes the spool once the writer has stopped.
func (s *centreStore) close(log *slog.Logger) {
	if err := s.spool.Close(); err != nil {
		log.Error("close spool", "err", err)
	}
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
