package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"facmon/alarms"
	"facmon/alarms/board"
	alarmdispatch "facmon/alarms/dispatch"
	"facmon/alarms/engine"
	"facmon/alarms/influxout"
	"facmon/alarms/journal"
	"facmon/alarms/lifecycle"
	"facmon/alarms/linkage"
	"facmon/alarms/mqttout"
	"facmon/alarms/rules"
	"facmon/alarms/sse"
	"facmon/collectors"
	"facmon/collectors/modbus"
	"facmon/collectors/mqtt"
	"facmon/internal/durable"
)

// alarmPipeline is the engine, its runner, the lifecycle with its journal
// and the outputs: engine → runner → lifecycle (journal first) →
// dispatcher → board, SSE, InfluxDB, MQTT, KPIs, linkage and the
// notifiers. It lives as long as the process; a reload hands the runner a
// new rule set and the engine carries the state of unchanged rules across.
type alarmPipeline struct {
	engine  *engine.Engine
	runner  *engine.Runner
	life    *lifecycle.Manager
	journal *journal.Journal
	kpi     *lifecycle.KPI
	disp    *alarmdispatch.Dispatcher
	board   *board.Board
	hub     *sse.Hub
	mqtt    *publisherSwitch
	modbus  atomic.Pointer[modbusWriter]
	linkage linkageSlot
	status  *mqttout.StatusForwarder
	state   string // engine snapshot file
}

// modbusWriter holds the current runtime's Modbus collector for linkage.
type modbusWriter struct{ w linkage.Writer }

// alarmOutputs lets other wiring files of this command (the notifiers) add
// a dispatch target to the alarm pipeline: each is called once, when the
// pipeline is built, and its target receives every transition in order.
var alarmOutputs []func(svc *service) (alarmdispatch.Target, error)

// buildAlarms builds the alarm pipeline for set and restores its state:
// the lifecycle from the journal (snapshot + the records after it), the
// engine from its own snapshot, then made to agree with the journal.
func (svc *service) buildAlarms(set *rules.Set) error {
	ap := &alarmPipeline{mqtt: &publisherSwitch{}, state: filepath.Join(svc.flags.dataDir, "engine-state.json")}
	ap.engine = engine.New(engine.Options{Rules: set, Logger: svc.log.With("part", "engine")})
	if n, err := ap.restore(); err != nil {
		svc.log.Warn("engine state not restored", "file", ap.state, "err", err)
	} else if n > 0 {
		svc.log.Info("engine state restored", "alarms", n)
	}
	if err := ap.buildOutputs(svc, set); err != nil {
		return err
	}
	if err := ap.buildLifecycle(svc, set); err != nil {
		return err
	}
	var err error
	ap.runner, err = engine.NewRunner(engine.RunnerOptions{
		Engine: ap.engine, Output: ap.life, Clock: time.Now,
		Registerer: svc.reg, Logger: svc.log.With("part", "engine"),
	})
	if err != nil {
		ap.journal.Close()
		return err
	}
	ap.life.OnZoneChange(func() { ap.runner.SetGate(context.Background(), ap.life.Gate) })
	if err := ap.life.Transitions(context.Background(), ap.engine.SetGate(ap.life.Gate, time.Now())); err != nil {
		svc.log.Error("alarms raised on start not journaled", "err", err)
	}
	ap.showRestored()
	svc.alarms = ap
	ap.board.Mount(svc.web.Handle)
	(&lifecycle.API{M: ap.life, User: svc.user, Passwords: svc.passwords()}).Mount(svc.web.Handle)
	svc.web.Handle("GET /api/v1/events", ap.hub)
	return nil
}

// buildOutputs builds the board, the event stream, the InfluxDB and MQTT
// outputs, the KPIs and the dispatcher in front of them; linkage is added
// by buildLifecycle, which it records through.
func (ap *alarmPipeline) buildOutputs(svc *service, set *rules.Set) error {
	ap.hub = sse.New(sse.Options{Registerer: svc.reg, Logger: svc.log.With("part", "sse")})
	ap.board = board.New(board.Options{
		Acker:      board.AckerFunc(ap.ack),
		User:       svc.user,
		Registerer: svc.reg,
		Logger:     svc.log.With("part", "board"),
	})
	influxOut, err := influxout.New(influxout.Options{Sink: svc.writer, Registerer: svc.reg, Logger: svc.log.With("part", "alarm-influx")})
	if err != nil {
		return fmt.Errorf("alarm influx output: %w", err)
	}
	mqttOut, err := mqttout.New(mqttout.Options{Publisher: ap.mqtt, Registerer: svc.reg, Logger: svc.log.With("part", "alarm-mqtt")})
	if err != nil {
		return fmt.Errorf("alarm mqtt output: %w", err)
	}
	ap.status, err = mqttout.NewStatusForwarder(mqttout.StatusOptions{Publisher: ap.mqtt, Registerer: svc.reg, Logger: svc.log.With("part", "status-mqtt")})
	if err != nil {
		return fmt.Errorf("device status output: %w", err)
	}
	ap.kpi = lifecycle.NewKPI(lifecycle.KPIOptions{Clock: time.Now, Site: set.Site.ID, Sink: svc.writer,
		Registerer: svc.reg, Logger: svc.log.With("part", "alarm-kpi")})
	targets := []alarmdispatch.Target{
		{Name: "board", Output: ap.board},
		{Name: "events", Output: ap.hub},
		{Name: "influx", Output: influxOut},
		{Name: "mqtt", Output: mqttOut},
		{Name: "kpi", Output: ap.kpi},
		{Name: "linkage", Output: &ap.linkage},
	}
	for _, add := range alarmOutputs {
		t, err := add(svc)
		if err != nil {
			return err
		}
		targets = append(targets, t)
	}
	ap.disp, err = alarmdispatch.New(alarmdispatch.Options{Targets: targets, Registerer: svc.reg, Logger: svc.log.With("part", "dispatch")})
	if err != nil {
		return fmt.Errorf("alarm dispatch: %w", err)
	}
	return nil
}

// buildLifecycle opens the journal, builds the lifecycle on it, restores
// both, makes the engine adopt the journaled alarms and builds linkage.
func (ap *alarmPipeline) buildLifecycle(svc *service, set *rules.Set) error {
	var err error
	ap.journal, err = journal.Open(journal.Options{
		Dir:        filepath.Join(svc.flags.dataDir, "journal"),
		Backups:    journal.Backups{Interval: time.Minute, State: func(context.Context) ([]byte, uint64, error) { return ap.life.SnapshotSeq() }},
		Registerer: svc.reg, Logger: svc.log.With("part", "journal"),
	})
	if err != nil {
		return fmt.Errorf("alarm journal: %w", err)
	}
	ap.life, err = lifecycle.New(lifecycle.Options{Site: set.Site, CurrentSite: svc.currentSite, Latched: lifecycle.LatchedFrom(ap.engine.Rules),
		Journal: journalAdapter{ap.journal}, Output: ap.disp, Clock: time.Now, Logger: svc.log.With("part", "lifecycle")})
	if err == nil {
		err = ap.restoreLifecycle(svc)
	}
	if err == nil {
		ap.linkage.l, err = linkage.New(linkage.Options{Rules: ap.engine.Rules, Recorder: ap.life, Clock: time.Now,
			Writer:     func() linkage.Writer { return ap.modbusWriter() },
			Publisher:  func() linkage.Publisher { return ap.mqtt },
			Registerer: svc.reg, Logger: svc.log.With("part", "linkage")})
	}
	if err != nil {
		ap.journal.Close()
	}
	return err
}

// restoreLifecycle replays the journal into the lifecycle and makes the
// engine adopt the alarms it knows.
func (ap *alarmPipeline) restoreLifecycle(svc *service) error {
	state, since, recs, err := ap.journal.Restore()
	if err != nil {
		return fmt.Errorf("alarm journal restore: %w", err)
	}
	if err := ap.life.Restore(state, since, entriesOf(recs)); err != nil {
		return fmt.Errorf("alarm journal restore: %w", err)
	}
	n := ap.engine.Adopt(ap.life.Adopted())
	svc.log.Info("alarm journal restored", "snapshot_seq", since, "records_replayed", len(recs), "alarms", len(ap.life.Board()), "engine_adopted", n)
	return nil
}

// modbusWriter returns the current Modbus collector, nil if none.
func (ap *alarmPipeline) modbusWriter() linkage.Writer {
	if m := ap.modbus.Load(); m != nil {
		return m.w
	}
	return nil
}

// consumers are the fan-out consumers of the alarm pipeline.
func (ap *alarmPipeline) consumers() []collectorsConsumer {
	return []collectorsConsumer{
		{"engine", ap.runner.Publish},
		{"events", ap.hub.StatusSink().Publish},
		{"status-mqtt", ap.status.Publish},
	}
}

// run starts the pipeline's goroutines; they stop when ctx ends, the
// engine's state is saved last and the journal closed once nothing writes
// it any more.
func (ap *alarmPipeline) run(ctx context.Context, wg *sync.WaitGroup, log func(string, error)) {
	wg.Go(func() {
		var parts sync.WaitGroup
		parts.Go(func() { log("alarm runner", ap.runner.Run(ctx)) })
		parts.Go(func() { log("alarm dispatch", ap.disp.Run(ctx)) })
		parts.Go(func() { log("event stream", ap.hub.Run(ctx)) })
		parts.Go(func() { log("device status output", ap.status.Run(ctx)) })
		parts.Go(func() { ap.saveLoop(ctx, log) })
		parts.Go(func() { log("alarm lifecycle", ap.life.Run(ctx, time.Second)) })
		parts.Go(func() { log("alarm KPIs", ap.kpi.Run(ctx, time.Minute)) })
		parts.Wait()
		log("alarm journal", ap.close())
	})
}

// setModbus gives linkage the current runtime's Modbus collector (nil if
// the site has none).
func (ap *alarmPipeline) setModbus(c *modbus.Collector) {
	if c == nil {
		ap.modbus.Store(nil)
		return
	}
	ap.modbus.Store(&modbusWriter{w: c})
}

// close closes the journal once every part that writes it has stopped.
func (ap *alarmPipeline) close() error { return ap.journal.Close() }

// ack acknowledges a linkage-failure alarm in the lifecycle, any other
// through the runner so the transition reaches every output in order. The
// ack succeeded only if the lifecycle journaled it.
func (ap *alarmPipeline) ack(ctx context.Context, id, user string, _ time.Time) error {
	if ok, err := ap.life.AckEvent(ctx, id, user); ok {
		if errors.Is(err, lifecycle.ErrConflict) {
			return fmt.Errorf("alarm %q: %w", id, board.ErrNotAckable)
		}
		return err
	}
	if _, ok := ap.runner.Ack(ctx, id, user); !ok {
		return fmt.Errorf("alarm %q: %w", id, board.ErrNotAckable)
	}
	if ap.life.AwaitsAck(id) {
		return fmt.Errorf("alarm %q: acknowledgement not journaled", id)
	}
	return nil
}

// saveLoop writes the engine's state every few seconds and once more at
// the end, so pending on-delays and the generator run-on survive a restart.
func (ap *alarmPipeline) saveLoop(ctx context.Context, log func(string, error)) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			log("engine state", ap.save())
			return
		case <-t.C:
			log("engine state", ap.save())
		}
	}
}

func (ap *alarmPipeline) save() error {
	b, err := json.Marshal(ap.engine.Snapshot())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(ap.state), 0o750); err != nil {
		return err
	}
	return durable.WriteFile(ap.state, b)
}

func (ap *alarmPipeline) restore() (int, error) {
	b, err := os.ReadFile(ap.state)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var s engine.Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return 0, fmt.Errorf("%s: %w", ap.state, err)
	}
	return ap.engine.Restore(s), nil
}

// publisherSwitch forwards to the MQTT publisher of the current runtime,
// which a reload replaces; with no MQTT connection it refuses, and the
// dispatcher counts the failure.
type publisherSwitch struct {
	p atomic.Pointer[mqtt.Publisher]
}

var errNoMQTT = errors.New("no MQTT connection configured")

func (s *publisherSwitch) set(p *mqtt.Publisher) { s.p.Store(p) }

// AlarmTopic is facmon/<site>/alarm.
func (s *publisherSwitch) AlarmTopic() string {
	if p := s.p.Load(); p != nil {
		return p.AlarmTopic()
	}
	return ""
}

// PublishJSON publishes through the current publisher.
func (s *publisherSwitch) PublishJSON(ctx context.Context, topic string, qos byte, retained bool, v any) error {
	p := s.p.Load()
	if p == nil {
		return errNoMQTT
	}
	return p.PublishJSON(ctx, topic, qos, retained, v)
}

// PublishStatus publishes a device's retained status through the current
// publisher.
func (s *publisherSwitch) PublishStatus(ctx context.Context, device string, st collectors.DeviceStatus, at time.Time, lastErr string) error {
	p := s.p.Load()
	if p == nil {
		return errNoMQTT
	}
	return p.PublishStatus(ctx, device, st, at, lastErr)
}

// collectorsConsumer names a fan-out consumer function.
type collectorsConsumer struct {
	name string
	fn   func(context.Context, []collectors.Point) error
}

// showRestored puts the alarms restored from the journal on the board,
// which otherwise would learn of them only at their next transition.
func (ap *alarmPipeline) showRestored() {
	if ts := ap.life.Board(); len(ts) > 0 {
		_ = ap.board.Transitions(context.Background(), ts)
	}
}

// linkageSlot lets the dispatcher be built before the Linkage, which
// records through the lifecycle that hands transitions to the dispatcher.
type linkageSlot struct{ l *linkage.Linkage }

// Transitions runs the linkage actions of ts.
func (s *linkageSlot) Transitions(ctx context.Context, ts []alarms.Transition) error {
	if s.l == nil {
		return nil
	}
	return s.l.Transitions(ctx, ts)
}

// journalAdapter is the lifecycle's Journal on alarms/journal.
type journalAdapter struct{ j *journal.Journal }

// journalTypes maps lifecycle entry types to journal record types.
var journalTypes = map[lifecycle.EntryType]journal.Type{lifecycle.Transition: journal.TypeTransition,
	lifecycle.Action: journal.TypeAction, lifecycle.Refused: journal.TypeRefusedAction, lifecycle.Linkage: journal.TypeLinkage}

// Append journals es and returns the seq of the last one once fsync'd.
func (a journalAdapter) Append(ctx context.Context, es []lifecycle.Entry) (uint64, error) {
	recs := make([]journal.Record, len(es))
	for i, e := range es {
		recs[i] = journal.Record{Time: e.Time, Type: journalTypes[e.Type], User: e.User, Action: e.Action,
			Subject: e.Subject, Reason: e.Reason, Payload: e.Payload}
	}
	return a.j.Append(ctx, recs...)
}

// entriesOf turns journal records back into lifecycle entries.
func entriesOf(recs []journal.Record) []lifecycle.Entry {
	back := map[journal.Type]lifecycle.EntryType{}
	for k, v := range journalTypes {
		back[v] = k
	}
	out := make([]lifecycle.Entry, 0, len(recs))
	for _, r := range recs {
		out = append(out, lifecycle.Entry{Seq: r.Seq, Type: back[r.Type], Time: r.Time, User: r.User, Action: r.Action,
			Subject: r.Subject, Reason: r.Reason, Payload: r.Payload})
	}
	return out
}
