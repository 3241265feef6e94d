// Package mqttout publishes alarm transitions to MQTT: each transition as
// JSON (the alarms.Transition fields, docs/alarm-api.md) on
// facmon/<site>/alarm at QoS 1, so the centre's other systems can follow
// facmon's alarms; and device status, retained, on
// facmon/<site>/status/<device> through a StatusForwarder that never
// blocks the fan-out and keeps the newest status per device while the
// broker is down. Both publish through collectors/mqtt's Publisher.
package mqttout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"facmon/alarms"
)

// QoS of alarm messages: at least once.
const QoS = 1

// Publisher is the part of collectors/mqtt.Publisher this package uses.
type Publisher interface {
	// AlarmTopic is facmon/<site>/alarm.
	AlarmTopic() string
	// PublishJSON marshals v and waits for the broker's acknowledgement.
	PublishJSON(ctx context.Context, topic string, qos byte, retained bool, v any) error
}

// Options configure an Output.
type Options struct {
	// Publisher is required.
	Publisher  Publisher
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Output is an alarms.Output that publishes each transition in order.
type Output struct {
	pub    Publisher
	log    *slog.Logger
	failed prometheus.Counter
}

var _ alarms.Output = (*Output)(nil)

// New builds an Output.
func New(o Options) (*Output, error) {
	if o.Publisher == nil {
		return nil, errors.New("alarm mqtt output: no publisher")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	return &Output{pub: o.Publisher, log: o.Logger,
		failed: promauto.With(o.Registerer).NewCounter(prometheus.CounterOpts{
			Name: "facmon_alarm_mqtt_failed_total",
			Help: "Alarm transitions the MQTT broker did not acknowledge."})}, nil
}

// Transitions publishes ts one by one, in order, each acknowledged by the
// broker (QoS 1) before the next. A transition the broker does not take
// is logged and counted and the rest are still tried: MQTT is a
// notification path, the durable record is the journal. The error joins
// every failure.
func (o *Output) Transitions(ctx context.Context, ts []alarms.Transition) error {
	topic := o.pub.AlarmTopic()
	var errs []error
	for i := range ts {
		if ctx.Err() != nil {
			o.failed.Add(float64(len(ts) - i))
			errs = append(errs, fmt.Errorf("%d transitions from %q not published: %w", len(ts)-i, ts[i].ID, ctx.Err()))
			break
		}
		if err := o.pub.PublishJSON(ctx, topic, QoS, false, wireTransition{&ts[i], finite(ts[i].Value)}); err != nil {
			o.failed.Inc()
			o.log.Warn("alarm transition not published", "topic", topic, "id", ts[i].ID,
				"change", ts[i].Change.String(), "err", err)
			errs = append(errs, fmt.Errorf("alarm %q %s: %w", ts[i].ID, ts[i].Change, err))
		}
	}
	return errors.Join(errs...)
}

// wireTransition writes a transition with a non-finite value (a float
// register can read NaN) as null, which JSON can carry.
type wireTransition struct {
	*alarms.Transition
	Value *float64 `json:"value"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
