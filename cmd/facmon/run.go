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
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"

	"facmon/alarms/report"
	"facmon/alarms/rules"
	alarmsvc "facmon/alarms/service"
	"facmon/collectors"
	"facmon/collectors/devstatus"
	"facmon/collectors/fanout"
	"facmon/collectors/influx"
	"facmon/collectors/latest"
	"facmon/collectors/spool"
	"facmon/internal/procs"
	"facmon/internal/site"
	"facmon/internal/web"
)

func cmdRun(args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var f runFlags
	f.register(fs)
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if f.config == "" {
		fmt.Fprintln(stderr, "facmon run: --config SITE.yaml is required")
		return 2
	}
	log, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "facmon run:", err)
		return 2
	}
	s, err := f.loadSite()
	if err != nil {
		printLoadErrors(stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, s, &f, log); err != nil {
		log.Error("facmon stopped", "err", err)
		return 1
	}
	return 0
}

// service is the running facmon: the parts that live as long as the
// process (spool, writer, fan-out, HTTP) and the site-dependent runtime
// that a SIGHUP rebuilds.
type service struct {
	flags  *runFlags
	log    *slog.Logger
	reg    *prometheus.Registry
	spool  *spool.Spool
	writer *influx.Writer
	table  *latest.Table
	alarms *alarmsvc.Service
	fan    *fanout.Fanout
	web    *web.Server
	procs  *procs.Governor

	devices *devstatus.View
	console *consoleParts
	rules   *rules.Set // the rule set at start, until the first runtime takes it
	reports *report.Schedule

	reloadOK   prometheus.Gauge
	reloadTime prometheus.Gauge

	mu   sync.Mutex
	site *site.Site
}

// serve builds the service for s and runs it until ctx ends.
func serve(ctx context.Context, s *site.Site, f *runFlags, log *slog.Logger) error {
	svc, err := newService(s, f, log)
	if err != nil {
		return err
	}
	return svc.run(ctx)
}

func newService(s *site.Site, f *runFlags, log *slog.Logger) (*service, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(promcollectors.NewProcessCollector(promcollectors.ProcessCollectorOpts{}), promcollectors.NewGoCollector())
	svc := &service{flags: f, log: log, reg: reg, site: s, table: latest.New(), devices: devstatus.New()}
	svc.registerMetrics()
	sp, err := spool.Open(spool.Options{
		Dir:          s.Storage.Spool.Dir,
		MaxBytes:     int64(s.Storage.Spool.MaxBytes),
		SegmentBytes: int64(s.Storage.Spool.SegmentBytes),
		SyncWindow:   time.Duration(s.Storage.Spool.SyncWindow),
		Registerer:   reg,
		Logger:       log.With("part", "spool"),
	})
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	svc.spool = sp
	in := s.Storage.Influx
	svc.writer, err = influx.New(influx.Options{
		URL: in.URL, Org: in.Org, Bucket: in.Bucket, Token: string(in.Token),
		BatchSize: in.BatchSize, FlushInterval: time.Duration(in.FlushInterval), Timeout: time.Duration(in.Timeout),
		Gzip: in.Gzip == nil || *in.Gzip, Spool: sp, Registerer: reg, Logger: log.With("part", "influx"),
		Names: influx.NamesOf(s),
	})
	if err != nil {
		sp.Close()
		return nil, fmt.Errorf("influx writer: %w", err)
	}
	svc.web = web.New(web.Options{Listen: s.HTTP.Listen, Gatherer: reg, Logger: log.With("part", "http")})
	svc.procs = procs.New(procs.Options{Registerer: reg, Logger: log.With("part", "procs")})
	if err := svc.buildParts(s); err != nil {
		sp.Close()
		return nil, err
	}
	return svc, nil
}

// buildParts builds, in this order, the console's guard, the alarm
// service (whose disarm checks passwords with the guard) and the fan-out
// that feeds it, and mounts their routes.
func (svc *service) buildParts(s *site.Site) error {
	set, err := rules.ForSite(svc.flags.config, s)
	if err != nil {
		return err
	}
	svc.rules = set
	if err := svc.mountConsole(); err != nil {
		return err
	}
	if err := svc.buildAlarms(s, set); err != nil {
		return err
	}
	svc.reports = svc.mountReports()
	consumers := []fanout.Consumer{{Name: "latest", Handle: svc.table.Handle}, {Name: "alarms", Handle: svc.consumeAlarms}}
	svc.fan = fanout.New(fanout.Options{Store: svc.writer, Consumers: consumers, Registerer: svc.reg, Logger: svc.log.With("part", "fanout")})
	svc.spool.SettleWith(svc.fan.Settled)
	svc.web.Handle("GET /api/v1/signals", svc.table.Handler())
	svc.web.Handle("GET /api/v1/devices", svc.devices.Handler())
	svc.web.AddCheck("storage", svc.writer.Ready)
	return nil
}

// consumeAlarms hands a batch of points to the alarm service.
func (svc *service) consumeAlarms(ctx context.Context, b []collectors.Point) {
	if err := svc.alarms.Consume(ctx, b); err != nil {
		svc.log.Debug("fan-out consumer failed", "consumer", "alarms", "err", err)
	}
}

func (svc *service) registerMetrics() {
	svc.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "facmon_config_last_reload_successful",
		Help: "Whether the last site-file (re)load succeeded (1) or failed and the old file is kept (0).",
	})
	svc.reloadTime = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "facmon_config_last_reload_success_timestamp_seconds",
		Help: "When the site file was last loaded successfully.",
	})
	svc.reloadOK.Set(1)
	svc.reloadTime.SetToCurrentTime()
	svc.reg.MustRegister(svc.reloadOK, svc.reloadTime)
}

// run starts every part, handles SIGHUP, and on ctx's end stops them in
// reverse order: collection first, then the fan-out, then the writer's
// flush, then HTTP.
func (svc *service) run(ctx context.Context) error {
	svc.log.Info("facmon starting", "version", version(), "site", svc.site.ID, "devices", len(svc.site.Devices),
		"listen", svc.site.HTTP.Listen, "influx", svc.site.Storage.Influx.URL != "")
	var wg sync.WaitGroup
	httpCtx, stopHTTP := context.WithCancel(context.Background())
	defer stopHTTP()
	errc := make(chan error, 4)
	wg.Go(func() {
		if err := svc.web.Run(httpCtx); err != nil {
			errc <- err
		}
	})
	writerCtx, stopWriter := context.WithCancel(context.Background())
	defer stopWriter()
	wg.Go(func() {
		if err := svc.writer.Run(writerCtx); err != nil && !errors.Is(err, context.Canceled) {
			errc <- fmt.Errorf("influx writer: %w", err)
		}
	})
	fanCtx, stopFan := context.WithCancel(context.Background())
	defer stopFan()
	wg.Go(func() { svc.fan.Run(fanCtx) })
	alarmCtx, stopAlarms := context.WithCancel(context.Background())
	defer stopAlarms()
	wg.Go(func() { svc.logExit("alarm service", svc.alarms.Run(alarmCtx)) })
	reportCtx, stopReports := context.WithCancel(context.Background())
	defer stopReports()
	wg.Go(func() { svc.logExit("report schedule", svc.reports.Run(reportCtx)) })
	procsCtx, stopProcs := context.WithCancel(context.Background())
	defer stopProcs()
	wg.Go(func() { svc.logExit("processor governor", svc.procs.Run(procsCtx)) })
	changed := watchFiles(ctx, svc.watchedFiles, 2*time.Second)
	usersChanged := watchFiles(ctx, func() []string { return []string{usersFile(svc.flags.dataDir)} }, time.Second)

	var runErr error
	rt := svc.startRuntime(ctx, svc.currentSite(), svc.rules)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-errc:
			runErr = err
			break loop
		case <-hup:
			svc.log.Info("SIGHUP: reloading site and rule files", "file", svc.flags.config)
			rt = svc.reload(ctx, rt)
			svc.reloadUsers()
		case <-usersChanged:
			svc.reloadUsers()
		case <-changed:
			svc.log.Info("site or rule file changed: reloading", "file", svc.flags.config)
			rt = svc.reload(ctx, rt)
		}
	}
	svc.log.Info("facmon stopping")
	rt.stop()
	stopFan()
	stopReports()
	stopAlarms()
	flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := svc.writer.Close(flushCtx); err != nil {
		svc.log.Warn("flush incomplete; the rest stays in the spool", "err", err)
	}
	cancel()
	stopWriter()
	stopHTTP()
	stopProcs()
	wg.Wait()
	if err := svc.spool.Close(); err != nil {
		svc.log.Error("close spool", "err", err)
	}
	svc.log.Info("facmon stopped")
	return runErr
}

func (svc *service) currentSite() *site.Site {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	return svc.site
}

// reload re-reads the site file and its rules; on any error it logs every
// one and keeps the running site, rules and collectors untouched.
func (svc *service) reload(ctx context.Context, old *siteRuntime) *siteRuntime {
	s, err := svc.flags.loadSite()
	var set *rules.Set
	if err == nil {
		set, err = rules.ForSite(svc.flags.config, s)
		if err != nil {
			svc.alarms.ReloadFailed(ctx, err)
		}
	}
	if err != nil {
		svc.reloadOK.Set(0)
		for _, line := range errorLines(err) {
			svc.log.Error("configuration error; keeping the running configuration", "error", line)
		}
		return old
	}
	old.stop()
	svc.mu.Lock()
	svc.site = s
	svc.mu.Unlock()
	svc.reloadOK.Set(1)
	svc.reloadTime.SetToCurrentTime()
	svc.log.Info("site file reloaded", "site", s.ID, "devices", len(s.Devices))
	return svc.startRuntime(ctx, s, set)
}

// logExit logs a part's unexpected end.
func (svc *service) logExit(part string, err error) {
	if err != nil && ctxErr(err) == nil {
		svc.log.Error("stopped with an error", "part", part, "err", err)
	}
}

// watchedFiles are the site file and the rule files it names.
func (svc *service) watchedFiles() []string {
	files := []string{svc.flags.config}
	s := svc.currentSite()
	if paths, err := rules.Expand(svc.flags.config, s.Rules); err == nil {
		files = append(files, paths...)
	}
	return files
}
