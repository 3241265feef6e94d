package sim

import (
	"context"
	"log/slog"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Publishing limits.
const (
	queueLen   = 4096            // messages waiting for the broker; more are dropped and counted
	ackTimeout = 5 * time.Second // wait for a PUBACK before counting an error
)

// publisher is the MQTT side of the simulator: one paho client for all the
// site's MQTT devices (as a gateway would), QoS 1, fed through a bounded
// queue so a slow or absent broker never stalls the physics.
type publisher struct {
	cl      paho.Client
	devices []*mqttDevice
	queue   chan message
	log     *slog.Logger
	metrics *metrics
	failing bool
}

// newPublisher returns nil when there is nothing to publish or nowhere to.
func newPublisher(o Options, devs []*mqttDevice, m *metrics) *publisher {
	if o.BrokerURL == "" || len(devs) == 0 {
		return nil
	}
	po := paho.NewClientOptions().AddBroker(o.BrokerURL).SetClientID("facmon-sim-" + o.Site.ID).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).SetMaxReconnectInterval(5 * time.Second)
	if o.Site.MQTT.Username != "" {
		po.SetUsername(o.Site.MQTT.Username).SetPassword(string(o.Site.MQTT.Password))
	}
	return &publisher{cl: paho.NewClient(po), devices: devs, queue: make(chan message, queueLen), log: o.Logger, metrics: m}
}

// collect returns the messages of every device that is due and plugged in.
func (p *publisher) collect(w *World, now time.Time) []message {
	var out []message
	for _, d := range p.devices {
		if w.Unplugged(d.d.ID) || !d.due(w, now) {
			continue
		}
		out = append(out, d.messages(w, now)...)
	}
	return out
}

// enqueue hands messages to run without ever blocking.
func (p *publisher) enqueue(msgs []message) {
	for _, m := range msgs {
		select {
		case p.queue <- m:
		default:
			p.metrics.published.WithLabelValues("dropped").Inc()
		}
	}
}

// run connects (retrying in the background) and publishes queued messages
// at QoS 1 until ctx ends.
func (p *publisher) run(ctx context.Context) {
	p.cl.Connect()
	defer p.cl.Disconnect(250)
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-p.queue:
			p.publish(ctx, m)
		}
	}
}

func (p *publisher) publish(ctx context.Context, m message) {
	tok := p.cl.Publish(m.topic, 1, false, m.body)
	t := time.NewTimer(ackTimeout)
	defer t.Stop()
	var err error
	select {
	case <-tok.Done():
		err = tok.Error()
	case <-ctx.Done():
		return
	case <-t.C:
		err = context.DeadlineExceeded
	}
	if err != nil {
		p.metrics.published.WithLabelValues("error").Inc()
		if !p.failing {
			p.log.Warn("sim: MQTT publish failed", "topic", m.topic, "err", err)
		}
		p.failing = true
		return
	}
	if p.failing {
		p.log.Info("sim: MQTT publishing again", "topic", m.topic)
	}
	p.failing = false
	p.metrics.published.WithLabelValues("ok").Inc()
}
