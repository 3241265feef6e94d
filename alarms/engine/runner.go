package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"facmon/alarms"
	"facmon/alarms/rules"
	"facmon/collectors"
)

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	// Engine is the engine to drive; required.
	Engine *Engine
	// Output receives every transition, in order; required. It must queue
	// and return (alarms/dispatch does), so evaluation never waits on a
	// slow receiver.
	Output alarms.Output
	// Clock gives the time timers are advanced to; required (time.Now in
	// production, a fake in tests).
	Clock func() time.Time
	// Tick is how often timers are advanced; default 100ms.
	Tick time.Duration
	// Queue is how many batches may wait; default 1024. A full queue drops
	// the batch and counts it: collection never blocks on evaluation.
	Queue int
	// Registerer takes the runner's metrics; nil means none.
	Registerer prometheus.Registerer
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Runner feeds an Engine from the collectors' fan-out (it is a
// collectors.Sink) and a ticker, and hands transitions to an Output. It
// owns one goroutine, Run's.
type Runner struct {
	opts RunnerOptions
	in   chan []collectors.Point
	mu   sync.Mutex // serialises Engine calls with Output order
	m    runnerMetrics
}

type runnerMetrics struct {
	points, dropped, outputErrors prometheus.Counter
	transitions                   *prometheus.CounterVec
	reloadOK, reloadTime, rules   prometheus.Gauge
}

// NewRunner checks opts and registers the metrics.
func NewRunner(opts RunnerOptions) (*Runner, error) {
	if opts.Engine == nil || opts.Output == nil || opts.Clock == nil {
		return nil, errors.New("alarm runner: Engine, Output and Clock are required")
	}
	if opts.Tick <= 0 {
		opts.Tick = 100 * time.Millisecond
	}
	if opts.Queue <= 0 {
		opts.Queue = 1024
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{opts: opts, in: make(chan []collectors.Point, opts.Queue), m: newRunnerMetrics(opts.Registerer)}
	r.m.reloadOK.Set(1)
	r.m.rules.Set(float64(len(opts.Engine.set.Rules)))
	return r, nil
}

func newRunnerMetrics(reg prometheus.Registerer) runnerMetrics {
	f := promauto.With(reg)
	return runnerMetrics{
		points:       f.NewCounter(prometheus.CounterOpts{Name: "facmon_alarm_points_total", Help: "Points evaluated by the alarm engine."}),
		dropped:      f.NewCounter(prometheus.CounterOpts{Name: "facmon_alarm_points_dropped_total", Help: "Points dropped because the engine's queue was full."}),
		outputErrors: f.NewCounter(prometheus.CounterOpts{Name: "facmon_alarm_runner_output_errors_total", Help: "Transition batches the alarm output (the dispatcher) refused."}),
		transitions: f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_alarm_transitions_total",
			Help: "Alarm transitions emitted, by change."}, []string{"change"}),
		reloadOK: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_rules_last_reload_successful",
			Help: "1 if the last rule reload succeeded, 0 if it failed and the old rules still run."}),
		reloadTime: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_rules_last_reload_success_timestamp_seconds",
			Help: "Time of the last successful rule reload."}),
		rules: f.NewGauge(prometheus.GaugeOpts{Name: "facmon_rules_loaded", Help: "Alarm rules loaded."}),
	}
}

// Publish queues a copy of batch for evaluation and returns at once; when
// the queue is full the batch is dropped and counted.
func (r *Runner) Publish(_ context.Context, batch []collectors.Point) error {
	if len(batch) == 0 {
		return nil
	}
	select {
	case r.in <- append([]collectors.Point(nil), batch...):
	default:
		r.m.dropped.Add(float64(len(batch)))
	}
	return nil
}

// Evaluate evaluates batch on the caller's goroutine and returns once its
// transitions are handed to the output (journaled, with the alarm
// service's output). The collectors' fan-out calls it from its own queue's
// goroutine, so that its Settled means "evaluated": the spool then
// fsyncs a point only after the journal's fsync of the alarm it raised.
func (r *Runner) Evaluate(ctx context.Context, batch []collectors.Point) {
	if len(batch) == 0 {
		return
	}
	r.m.points.Add(float64(len(batch)))
	r.deliver(ctx, func(e *Engine) []alarms.Transition { return e.Process(batch) })
}

// Run evaluates queued batches and advances timers every Tick until ctx
// ends.
func (r *Runner) Run(ctx context.Context) error {
	t := time.NewTicker(r.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case b := <-r.in:
			r.m.points.Add(float64(len(b)))
			r.deliver(ctx, func(e *Engine) []alarms.Transition { return e.Process(b) })
		case <-t.C:
			now := r.opts.Clock()
			r.deliver(ctx, func(e *Engine) []alarms.Transition { return e.Advance(now) })
		}
	}
}

// deliver runs f on the engine and hands its transitions to the output.
func (r *Runner) deliver(ctx context.Context, f func(*Engine) []alarms.Transition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	trs := f(r.opts.Engine)
	if len(trs) == 0 {
		return
	}
	for i := range trs {
		r.m.transitions.WithLabelValues(trs[i].Change.String()).Inc()
	}
	if err := r.opts.Output.Transitions(ctx, trs); err != nil {
		r.m.outputErrors.Inc()
		r.opts.Logger.Error("alarm output refused transitions", "count", len(trs), "err", err)
	}
}

// Ack acknowledges an alarm on behalf of by and emits the transition.
func (r *Runner) Ack(ctx context.Context, id, by string) (alarms.Transition, bool) {
	var tr alarms.Transition
	var ok bool
	r.deliver(ctx, func(e *Engine) []alarms.Transition {
		tr, ok = e.Ack(id, by, r.opts.Clock())
		if !ok {
			return nil
		}
		return []alarms.Transition{tr}
	})
	return tr, ok
}

// Reload applies the result of reloading the rule files: on error the old
// rules keep running and the failure is logged and shown in
// facmon_rules_last_reload_successful; otherwise the engine takes the new
// set, carrying the state of unchanged rules.
func (r *Runner) Reload(ctx context.Context, set *rules.Set, loadErr error) {
	if loadErr != nil {
		r.m.reloadOK.Set(0)
		r.opts.Logger.Error("rule reload failed; the old rules keep running", "err", loadErr)
		return
	}
	now := r.opts.Clock()
	r.deliver(ctx, func(e *Engine) []alarms.Transition { return e.Load(set, now) })
	r.m.reloadOK.Set(1)
	r.m.reloadTime.Set(float64(now.Unix()))
	r.m.rules.Set(float64(len(set.Rules)))
	r.opts.Logger.Info("rules reloaded", "rules", len(set.Rules))
}
