// Package dispatch fans the alarm engine's transitions out to every alarm
// output (the board, the SSE hub, MQTT, InfluxDB, the notifiers). Each
// output sits behind its own bounded queue and goroutine, so a slow output
// — a dead MQTT broker, a notifier timing out — never blocks the engine or
// the other outputs. Order is kept per output. A full queue drops the
// batch for that output only, counts it in
// facmon_alarm_output_dropped_total{output} and logs it.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms"
)

// Defaults of Options and Target.
const (
	// DefaultQueue is the number of batches an output may fall behind.
	DefaultQueue = 4096
	// DefaultDrainTimeout bounds how long Run keeps delivering queued
	// batches after its context ends.
	DefaultDrainTimeout = 3 * time.Second
)

// Target is one output and its queue.
type Target struct {
	// Name labels the output's metrics and log lines ("mqtt", "influx").
	Name   string
	Output alarms.Output
	// Queue is the queue's capacity in batches (default DefaultQueue).
	// Outputs that must not lose (InfluxDB through the spool) should be
	// fast enough never to fill it.
	Queue int
}

// Options configure a Dispatcher.
type Options struct {
	Targets []Target
	// DrainTimeout bounds the delivery of queued batches at shutdown.
	DrainTimeout time.Duration
	Registerer   prometheus.Registerer
	Logger       *slog.Logger
}

// Dispatcher is an alarms.Output that hands each batch to every target's
// queue and returns at once.
type Dispatcher struct {
	queues []*queue
	drain  time.Duration
	log    *slog.Logger
}

var _ alarms.Output = (*Dispatcher)(nil)

// New builds a Dispatcher; Run starts its goroutines. Target names must be
// unique and non-empty.
func New(o Options) (*Dispatcher, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	m := newMetrics(o.Registerer)
	d := &Dispatcher{drain: o.DrainTimeout, log: o.Logger}
	seen := map[string]bool{}
	for i, t := range o.Targets {
		if err := checkTarget(t, seen); err != nil {
			return nil, fmt.Errorf("alarm dispatch: target %d: %w", i, err)
		}
		d.queues = append(d.queues, newQueue(t, m, o.Logger))
	}
	return d, nil
}

func checkTarget(t Target, seen map[string]bool) error {
	switch {
	case t.Name == "":
		return errors.New("no name")
	case t.Output == nil:
		return fmt.Errorf("%q: no output", t.Name)
	case seen[t.Name]:
		return fmt.Errorf("%q: name used twice", t.Name)
	}
	seen[t.Name] = true
	return nil
}

// Transitions queues ts for every output and returns without waiting. It
// never fails: a full queue is counted and logged per output.
func (d *Dispatcher) Transitions(_ context.Context, ts []alarms.Transition) error {
	if len(ts) == 0 {
		return nil
	}
	batch := append([]alarms.Transition(nil), ts...) // the caller may reuse ts
	for _, q := range d.queues {
		q.offer(batch)
	}
	return nil
}

// Run delivers queued batches to each output on its own goroutine until
// ctx ends, then delivers what is still queued within DrainTimeout and
// returns once every goroutine has stopped.
func (d *Dispatcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, q := range d.queues {
		wg.Go(func() { q.run(ctx, d.drain) })
	}
	wg.Wait()
	return nil
}
