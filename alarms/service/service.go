// Package service is the alarm service, the one owner of alarm state: it
// holds the alarm engine (and persists its timers), the lifecycle with
// every alarm's state, the zones, the journal (which only it writes) and
// the history read back from it, and the outputs the transitions go to —
// the board, the event stream, InfluxDB, MQTT, the KPIs, linkage and the
// notifiers. It serves the whole alarm API: the board, the history, ack,
// notes, shelves, out of service, reset, zones, the event stream and the
// phones' ack links.
//
// It is built once by New and reloaded by Update, as Prometheus'
// rules.Manager is: Update takes the new site file, the new rule set and
// the collectors of the new site, and rebuilds what depends on them (the
// MQTT outputs, the notifiers). docs/architecture.md shows where it sits.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/dispatch"
	"facmon/alarms/engine"
	"facmon/alarms/influxout"
	"facmon/alarms/journal"
	"facmon/alarms/lifecycle"
	"facmon/alarms/linkage"
	"facmon/alarms/rules"
	"facmon/alarms/sse"
	"facmon/collectors"
	"facmon/collectors/mqtt"
	"facmon/internal/site"
)

// Store is the durable InfluxDB writer: alarm transitions go to it as
// lines, the KPIs as points.
type Store interface {
	influxout.LineSink
	collectors.Sink
}

// Options configure a Service.
type Options struct {
	// Site is the site file at start and Rules its rule set; required.
	Site  *site.Site
	Rules *rules.Set
	// DataDir holds the journal (DataDir/journal), the engine's timers
	// (DataDir/engine-state.json) and the notifiers' outbox; required.
	DataDir string
	// JournalRecords is the journal's record cap, and the most a history
	// request may return (journal.DefaultMaxRecords if 0).
	JournalRecords int
	// Store receives the alarm points and the KPIs; required.
	Store Store
	// User names a request's authenticated user ("" if none).
	User func(*http.Request) string
	// Passwords checks a disarm's password again (the console's guard).
	Passwords lifecycle.PasswordChecker
	// Clock is the time of timers, actions and shelves (time.Now).
	Clock func() time.Time
	// SaveEvery is how often the engine's timers are saved (2 s if 0);
	// they are saved once more when Run ends.
	SaveEvery  time.Duration
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Links are the collectors of the running site that alarms act through.
// A nil one is not configured, and what needs it is not built.
type Links struct {
	// MQTT publishes alarm messages, device status and linkage commands.
	MQTT *mqtt.Publisher
	// Modbus carries out linkage writes.
	Modbus linkage.Writer
}

// Service is the alarm service.
type Service struct {
	o   Options
	log *slog.Logger

	engine  *engine.Engine
	runner  *engine.Runner
	life    *lifecycle.Manager
	journal *journal.Journal
	kpi     *lifecycle.KPI
	disp    *dispatch.Dispatcher
	board   *board.Board
	hub     *sse.Hub
	link    *linkage.Linkage
	api     *lifecycle.API
	state   string        // the engine's timers
	changed chan struct{} // the engine emitted transitions: save it soon

	site atomic.Pointer[site.Site]

	// base is the context of the site-dependent parts; Run cancels it
	// last, after the dispatcher drained into them.
	base     context.Context
	stopBase context.CancelFunc

	updates sync.Mutex // one Update at a time
	mu      sync.Mutex
	cur     *gen
}

// New builds the service and restores its state: the lifecycle from the
// journal (snapshot and the records after it), the engine from its timers
// file, then made to agree with the journal. The site-dependent outputs
// come with the first Update.
func New(o Options) (*Service, error) {
	if o.Site == nil || o.Rules == nil || o.DataDir == "" || o.Store == nil {
		return nil, errors.New("alarm service: Site, Rules, DataDir and Store are required")
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.SaveEvery <= 0 {
		o.SaveEvery = 2 * time.Second
	}
	if o.JournalRecords <= 0 {
		o.JournalRecords = journal.DefaultMaxRecords
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{o: o, log: o.Logger, state: filepath.Join(o.DataDir, "engine-state.json"), changed: make(chan struct{}, 1)}
	s.site.Store(o.Site)
	s.base, s.stopBase = context.WithCancel(context.Background())
	s.engine = engine.New(engine.Options{Rules: o.Rules, Logger: s.part("engine")})
	s.restoreEngine()
	if err := s.build(); err != nil {
		s.stopBase()
		return nil, err
	}
	if err := s.restore(); err != nil {
		s.journal.Close()
		s.stopBase()
		return nil, err
	}
	return s, nil
}

func (s *Service) part(name string) *slog.Logger { return s.log.With("part", name) }

// build builds the parts in the order they depend on each other: the
// outputs, the journal, the lifecycle on it, linkage recording through
// the lifecycle, the dispatcher in front of the outputs, the runner.
func (s *Service) build() error {
	o := &s.o
	s.hub = sse.New(sse.Options{Registerer: o.Registerer, Logger: s.part("sse")})
	s.board = board.New(board.Options{Acker: s, Source: s, History: o.JournalRecords, User: o.User,
		Registerer: o.Registerer, Logger: s.part("board")})
	influxOut, err := influxout.New(influxout.Options{Sink: o.Store, Registerer: o.Registerer, Logger: s.part("alarm-influx")})
	if err != nil {
		return fmt.Errorf("alarm influx output: %w", err)
	}
	s.kpi = lifecycle.NewKPI(lifecycle.KPIOptions{Clock: o.Clock, Site: o.Site.ID, Sink: o.Store,
		Resolve: lifecycle.ResolveDeadlines(o.Site.Notify.Resolve), Registerer: o.Registerer, Logger: s.part("alarm-kpi")})
	s.journal, err = journal.Open(journal.Options{
		Dir: filepath.Join(o.DataDir, "journal"), MaxRecords: o.JournalRecords,
		Backups:    journal.Backups{Interval: time.Minute, State: func(context.Context) ([]byte, uint64, error) { return s.life.SnapshotSeq() }},
		Registerer: o.Registerer, Logger: s.part("journal"),
	})
	if err != nil {
		return fmt.Errorf("alarm journal: %w", err)
	}
	if err := s.buildLifecycle(influxOut); err != nil {
		s.journal.Close()
		return err
	}
	return nil
}

// buildLifecycle builds the lifecycle, linkage, the dispatcher and the
// runner.
func (s *Service) buildLifecycle(influxOut *influxout.Output) error {
	o := &s.o
	var err error
	s.life, err = lifecycle.New(lifecycle.Options{Site: o.Site, CurrentSite: s.Site, Latched: lifecycle.LatchedFrom(s.engine.Rules),
		Journal: s.journal, Output: alarms.OutputFunc(s.handOn), Clock: o.Clock, Logger: s.part("lifecycle")})
	if err != nil {
		return err
	}
	s.link, err = linkage.New(linkage.Options{Rules: s.engine.Rules, Recorder: s.life, Clock: o.Clock,
		Writer: s.modbus, Publisher: s.publisher, Registerer: o.Registerer, Logger: s.part("linkage")})
	if err != nil {
		return err
	}
	s.disp, err = dispatch.New(dispatch.Options{Targets: []dispatch.Target{
		{Name: "board", Output: s.board},
		{Name: "events", Output: s.hub},
		{Name: "influx", Output: influxOut},
		{Name: "mqtt", Output: alarms.OutputFunc(s.toMQTT)},
		{Name: "kpi", Output: s.kpi},
		{Name: "linkage", Output: s.link},
		{Name: "notify", Output: alarms.OutputFunc(s.toNotify)},
	}, Registerer: o.Registerer, Logger: s.part("dispatch")})
	if err != nil {
		return fmt.Errorf("alarm dispatch: %w", err)
	}
	s.runner, err = engine.NewRunner(engine.RunnerOptions{Engine: s.engine, Output: alarms.OutputFunc(s.journalEngine), Clock: o.Clock,
		Registerer: o.Registerer, Logger: s.part("engine")})
	if err != nil {
		return err
	}
	s.api = &lifecycle.API{M: s.life, User: o.User, Passwords: o.Passwords}
	return nil
}

// journalEngine hands the engine's transitions to the lifecycle, which
// journals them, and has the engine's state saved soon after, so that a
// restart finds its memory of the conditions as the journal does.
func (s *Service) journalEngine(ctx context.Context, ts []alarms.Transition) error {
	err := s.life.Transitions(ctx, ts)
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return err
}

// handOn hands the lifecycle's journaled transitions to the dispatcher.
func (s *Service) handOn(ctx context.Context, ts []alarms.Transition) error {
	return s.disp.Transitions(ctx, ts)
}

// restore replays the journal into the lifecycle, makes the engine adopt
// the alarms it knows, installs the zone gate and puts the restored
// alarms on the board.
func (s *Service) restore() error {
	state, since, recs, err := s.journal.Restore()
	if err != nil {
		return fmt.Errorf("alarm journal restore: %w", err)
	}
	if err := s.life.Restore(state, since, recs); err != nil {
		return fmt.Errorf("alarm journal restore: %w", err)
	}
	n := s.engine.Adopt(s.life.Adopted())
	s.log.Info("alarm journal restored", "snapshot_seq", since, "records_replayed", len(recs),
		"alarms", len(s.life.Board()), "engine_adopted", n)
	s.life.OnZoneChange(func() { s.runner.SetGate(context.Background(), s.life.Gate) })
	if err := s.life.Transitions(context.Background(), s.engine.SetGate(s.life.Gate, s.o.Clock())); err != nil {
		s.log.Error("alarms raised on start not journaled", "err", err)
	}
	if ts := s.life.Board(); len(ts) > 0 {
		_ = s.board.Transitions(context.Background(), ts) // the board learns of them before their next transition
	}
	return nil
}

// Site returns the site file in force.
func (s *Service) Site() *site.Site { return s.site.Load() }

// Board returns the current transition of every alarm that is not normal.
func (s *Service) Board() []alarms.Transition { return s.life.Board() }

// Journal is the journal the service writes; read it only.
func (s *Service) Journal() *journal.Journal { return s.journal }

// Record journals an entry that changes no alarm (a centre command and
// why it was refused); it returns once the entry is durable.
func (s *Service) Record(ctx context.Context, e journal.Record) error { return s.life.Record(ctx, e) }
