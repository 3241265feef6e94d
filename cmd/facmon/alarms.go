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
	"facmon/alarms/mqttout"
	"facmon/alarms/rules"
	"facmon/alarms/sse"
	"facmon/collectors"
	"facmon/collectors/mqtt"
)

// alarmPipeline is the engine, its runner and the outputs the runner's
// transitions go to. It lives as long as the process; a reload hands the
// runner a new rule set and the engine carries the state of unchanged
// rules across.
type alarmPipeline struct {
	engine *engine.Engine
	runner *engine.Runner
	disp   *alarmdispatch.Dispatcher
	board  *board.Board
	hub    *sse.Hub
	mqtt   *publisherSwitch
	status *mqttout.StatusForwarder
	state  string // engine snapshot file
}

// buildAlarms builds the alarm pipeline for set.
func (svc *service) buildAlarms(set *rules.Set) error {
	ap := &alarmPipeline{mqtt: &publisherSwitch{}, state: filepath.Join(svc.flags.dataDir, "engine-state.json")}
	ap.engine = engine.New(engine.Options{Rules: set, Logger: svc.log.With("part", "engine")})
	if n, err := ap.restore(); err != nil {
		svc.log.Warn("engine state not restored", "file", ap.state, "err", err)
	} else if n > 0 {
		svc.log.Info("engine state restored", "alarms", n)
	}
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
	ap.disp, err = alarmdispatch.New(alarmdispatch.Options{
		Targets: []alarmdispatch.Target{
			{Name: "board", Output: ap.board},
			{Name: "events", Output: ap.hub},
			{Name: "influx", Output: influxOut},
			{Name: "mqtt", Output: mqttOut},
		},
		Registerer: svc.reg,
		Logger:     svc.log.With("part", "dispatch"),
	})
	if err != nil {
		return fmt.Errorf("alarm dispatch: %w", err)
	}
	ap.runner, err = engine.NewRunner(engine.RunnerOptions{
		Engine: ap.engine, Output: ap.disp, Clock: time.Now,
		Registerer: svc.reg, Logger: svc.log.With("part", "engine"),
	})
	if err != nil {
		return err
	}
	ap.showRestored(set)
	svc.alarms = ap
	ap.board.Mount(svc.web.Handle)
	svc.web.Handle("GET /api/v1/events", ap.hub)
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
// engine's state is saved last.
func (ap *alarmPipeline) run(ctx context.Context, wg *sync.WaitGroup, log func(string, error)) {
	wg.Go(func() { log("alarm runner", ap.runner.Run(ctx)) })
	wg.Go(func() { log("alarm dispatch", ap.disp.Run(ctx)) })
	wg.Go(func() { log("event stream", ap.hub.Run(ctx)) })
	wg.Go(func() { log("device status output", ap.status.Run(ctx)) })
	wg.Go(func() { ap.saveLoop(ctx, log) })
}

// ack acknowledges through the runner so the transition reaches every
// output in order.
func (ap *alarmPipeline) ack(ctx context.Context, id, user string, _ time.Time) error {
	if _, ok := ap.runner.Ack(ctx, id, user); !ok {
		return fmt.Errorf("alarm %q: %w", id, board.ErrNotAckable)
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
	return writeFileAtomic(ap.state, b)
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

// writeFileAtomic replaces path with data: temp file, fsync, rename.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
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

// showRestored puts the alarms the engine restored from its saved state on
// the board, which otherwise would learn of them only at their next
// transition.
func (ap *alarmPipeline) showRestored(set *rules.Set) {
	var ts []alarms.Transition
	for _, a := range ap.engine.Alarms() {
		ts = append(ts, alarms.Transition{ID: a.ID, Rule: a.Rule, Site: set.Site.ID, Area: a.Area, Kind: a.Kind,
			Device: a.Device, Severity: a.Severity, Message: a.Message, Cite: a.Cite, Change: alarms.Raise,
			Value: a.Value, Time: a.Since, ActiveSince: a.Since, From: alarms.Normal, To: a.State, Hold: a.Hold})
	}
	if len(ts) > 0 {
		_ = ap.board.Transitions(context.Background(), ts)
	}
}
