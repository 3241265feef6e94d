// Package influxout writes alarm transitions to InfluxDB, into the
// measurement "alarm" (schema in docs/alarm-api.md), so that Grafana can
// show alarm history beside the trends with InfluxQL. It only encodes
// line protocol: the lines go to a LineSink — the durable InfluxDB writer
// of collectors/influx, whose spool keeps them across outages and
// restarts.
package influxout

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"facmon/alarms"
)

// LineSink stores line-protocol lines (one point each, no newline)
// durably; collectors/influx.Writer implements it.
type LineSink interface {
	PublishLines(ctx context.Context, lines [][]byte) error
}

// Options configure an Output.
type Options struct {
	// Sink receives the lines; required.
	Sink       LineSink
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Output is an alarms.Output that writes each transition as one point of
// the measurement "alarm".
type Output struct {
	sink    LineSink
	log     *slog.Logger
	skipped prometheus.Counter

	mu  sync.Mutex
	enc encoder
}

var _ alarms.Output = (*Output)(nil)

// New builds an Output on o.Sink.
func New(o Options) (*Output, error) {
	if o.Sink == nil {
		return nil, fmt.Errorf("alarm influx output: no line sink")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	return &Output{
		sink: o.Sink, log: o.Logger, enc: newEncoder(),
		skipped: promauto.With(o.Registerer).NewCounter(prometheus.CounterOpts{
			Name: "facmon_alarm_influx_skipped_total",
			Help: "Alarm transitions not written to InfluxDB because their time cannot be stored."}),
	}, nil
}

// Transitions encodes ts and returns once the sink has stored the lines
// (for the spooled writer: once they are fsync'd). A transition whose time
// InfluxDB cannot store (before 1677 or after 2262) is counted, logged
// and left out.
func (o *Output) Transitions(ctx context.Context, ts []alarms.Transition) error {
	lines := o.encode(ts)
	if len(lines) == 0 {
		return nil
	}
	if err := o.sink.PublishLines(ctx, lines); err != nil {
		return fmt.Errorf("alarm influx output: %d transitions from %q: %w", len(lines), ts[0].ID, err)
	}
	return nil
}

func (o *Output) encode(ts []alarms.Transition) [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	lines := make([][]byte, 0, len(ts))
	for i := range ts {
		l, ok := o.enc.line(&ts[i])
		if !ok {
			o.skipped.Inc()
			o.log.Warn("alarm transition not written to InfluxDB: time out of range",
				"id", ts[i].ID, "change", ts[i].Change.String(), "time", ts[i].Time)
			continue
		}
		lines = append(lines, l)
	}
	return lines
}
