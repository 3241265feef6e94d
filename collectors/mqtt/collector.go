// Package mqtt is facmon's MQTT collector: it subscribes to the site's
// topics on a persistent session, maps each topic to a device and signal
// through compiled patterns, decodes JSON, plain and line-protocol
// payloads (package payload), and hands the points to a collectors.Sink.
//
// A message is acknowledged only after the sink durably accepted its
// points, so a crash between receive and store loses nothing: the broker
// redelivers. The paho message handler never does the work; it hands
// messages to a bounded queue that one worker drains in batches. With a
// sink that stages (the fan-out), the worker stages each batch and goes on
// to the next while a second goroutine acks the batches in order as their
// group commits finish; with any other sink it publishes a batch and acks
// it before the next.
//
// The package also follows each MQTT device's status (online on a message,
// fault on a malformed one, offline after its timeout) and offers a
// Publisher for facmon's own retained status and alarm messages.
package mqtt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"facmon/collectors"
	"facmon/internal/site"
)

// Defaults of Options.
const (
	DefaultQueueSize    = 8192
	DefaultMaxBatch     = 500
	DefaultKeepAlive    = 30 * time.Second
	DefaultReconnectMax = 10 * time.Second
	DefaultLogEvery     = 10 * time.Second
)

// Options configure a Collector. Site, Sink are required.
type Options struct {
	// Site is the loaded site file; its MQTT section says where to connect
	// and what to subscribe to, its devices what the topics mean.
	Site *site.Site
	// Sink receives the points; a message is acked after Publish returns nil.
	Sink collectors.Sink
	// Logger defaults to discarding; Registerer to a private registry.
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now): receive times and device status.
	Now func() time.Time
	// Factory builds the client (default PahoFactory).
	Factory ClientFactory
	// QueueSize bounds the messages between paho and the worker. When it is
	// full (the sink is slower than the broker for that long) the handler
	// waits, which slows the TCP stream: back-pressure, never loss.
	QueueSize int
	// MaxBatch caps the messages per Sink.Publish. The worker takes what
	// has arrived up to MaxBatch and waits Linger (default 0) for more.
	MaxBatch int
	Linger   time.Duration
	// Behind, if set, is called when the worker falls behind: it takes a
	// batch of at least half MaxBatch after a smaller one (messages pile
	// up faster than it takes them: a backlog after a restart or an
	// outage). facmon run wires the processor governor's Busy, so the
	// drain gets every processor.
	Behind func()
	// DefaultTimeout marks an MQTT device offline after this much silence
	// when its site entry sets no mqtt.timeout; 0 disables it.
	DefaultTimeout time.Duration
	// CheckEvery paces the offline checks (default a quarter of the
	// shortest timeout, at least 100 ms).
	CheckEvery time.Duration
	// KeepAlive and ReconnectMax tune paho (defaults 30 s, 10 s).
	KeepAlive    time.Duration
	ReconnectMax time.Duration
	// LogEvery is the rate limit of repeated warnings (default 10 s).
	LogEvery time.Duration
}

// Collector is the MQTT collector of one site. New builds it, Run runs it.
type Collector struct {
	opt     Options
	log     *slog.Logger
	lim     *logLimiter
	m       *mapping
	status  *statusTable
	metrics *metrics
	client  Client
	queue   chan inbound
	done    chan struct{} // closed when Run's context ends: handlers stop waiting
	once    sync.Once

	stager     collectors.Stager // the sink, if it stages: acks are pipelined
	acks       chan staged       // staged batches for ack, in order
	url        string            // the broker URL for logs, password redacted
	lastFill   int               // the worker's: batch length before its last yield
	lastBatch  int               // the worker's: length of the last batch
	perMessage int               // the worker's: points per message in the last batch
	window     inflight          // messages staged and not yet acked
	attempts   atomic.Int64      // connection attempts so far
}

// inbound is a message and when it arrived.
type inbound struct {
	msg paho.Message
	at  time.Time
}

// New checks the options, compiles the site's topic patterns and builds
// the client (not yet connected).
func New(o Options) (*Collector, error) {
	if o.Site == nil || o.Sink == nil {
		return nil, errors.New("mqtt collector: Site and Sink are required")
	}
	if o.Site.MQTT.URL == "" {
		return nil, fmt.Errorf("%s: mqtt: url is empty", where(o.Site.MQTT.Pos))
	}
	o = o.withDefaults()
	m, err := newMapping(o.Site)
	if err != nil {
		return nil, err
	}
	c := &Collector{opt: o, log: o.Logger, m: m, metrics: newMetrics(o.Registerer),
		queue: make(chan inbound, o.QueueSize), done: make(chan struct{}), perMessage: 4}
	c.lim = newLogLimiter(o.Logger, o.LogEvery, o.Now)
	c.url = redact(o.Site.MQTT.URL)
	c.status = newStatusTable(m, mqttDevices(o.Site), o.DefaultTimeout, o.Now())
	po, err := c.clientOptions()
	if err != nil {
		return nil, err
	}
	c.client = o.Factory(po)
	return c, nil
}

// redact hides a password written into the broker URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable url>"
	}
	return u.Redacted()
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Factory == nil {
		o.Factory = PahoFactory
	}
	o.QueueSize = orDefault(o.QueueSize, DefaultQueueSize)
	o.MaxBatch = orDefault(o.MaxBatch, DefaultMaxBatch)
	o.KeepAlive = orDefault(o.KeepAlive, DefaultKeepAlive)
	o.ReconnectMax = orDefault(o.ReconnectMax, DefaultReconnectMax)
	o.LogEvery = orDefault(o.LogEvery, DefaultLogEvery)
	return o
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func mqttDevices(s *site.Site) map[string]bool {
	ids := make(map[string]bool)
	for _, d := range s.Devices {
		if d.MQTT != nil {
			ids[d.ID] = true
		}
	}
	for _, sub := range s.MQTT.Subscriptions {
		if sub.Device != "" {
			ids[sub.Device] = true
		}
	}
	return ids
}

// ClientID is the stable client id of the persistent session: the site
// file's mqtt.client_id, else "facmon-<site>".
func ClientID(s *site.Site) string {
	if s.MQTT.ClientID != "" {
		return s.MQTT.ClientID
	}
	return "facmon-" + s.ID
}

// clientOptions sets paho up for at-least-once delivery: a persistent
// session under a stable id (the broker keeps our queue while we are
// away), manual acks, the default handler catching messages the broker
// sends before our subscriptions are re-registered after a restart, and
// in-order delivery so a device's values keep their order.
func (c *Collector) clientOptions() (*paho.ClientOptions, error) {
	s := c.opt.Site
	tc, err := tlsConfig(s.MQTT.TLS)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where(s.MQTT.Pos), err)
	}
	o := paho.NewClientOptions().AddBroker(s.MQTT.URL).SetClientID(ClientID(s)).
		SetCleanSession(false).SetAutoAckDisabled(true).SetOrderMatters(true).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(c.opt.ReconnectMax).SetKeepAlive(c.opt.KeepAlive).
		SetWriteTimeout(10 * time.Second).SetDefaultPublishHandler(c.onMessage).
		SetOnConnectHandler(c.onConnect).SetConnectionLostHandler(c.onLost).
		SetConnectionNotificationHandler(c.onNotification)
	if s.MQTT.Username != "" {
		o.SetUsername(s.MQTT.Username).SetPassword(string(s.MQTT.Password))
	}
	if tc != nil {
		o.SetTLSConfig(tc)
	}
	if buffered(s.MQTT.URL) {
		o.SetCustomOpenConnectionFn(func(u *url.URL, po paho.ClientOptions) (net.Conn, error) {
			return dialBuffered(u, po, c.deliver)
		})
	}
	return o, nil
}

// onConnect (re)subscribes after every connect: paho calls it on its own
// goroutine, so waiting for the SUBACK here blocks nothing.
func (c *Collector) onConnect(cl paho.Client) {
	c.metrics.connected.Set(1)
	f := c.m.filters()
	tok := c.client.SubscribeMultiple(f, c.onMessage)
	if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		err := tok.Error()
		if err == nil {
			err = errors.New("no SUBACK within 30s")
		}
		c.log.Error("mqtt subscribe failed; the persistent session keeps earlier subscriptions", "url", c.url, "err", err)
		return
	}
	c.log.Info("mqtt connected and subscribed", "url", c.url, "client_id", ClientID(c.opt.Site), "filters", len(f))
}

// onNotification counts every connection attempt after the first as a
// reconnect (initial retries included) and logs failed attempts, which
// paho otherwise keeps to itself while it retries (wrong password, TLS).
func (c *Collector) onNotification(_ paho.Client, n paho.ConnectionNotification) {
	switch n := n.(type) {
	case paho.ConnectionNotificationConnecting:
		if c.attempts.Add(1) > 1 {
			c.metrics.reconnects.Inc()
		}
	case paho.ConnectionNotificationBrokerFailed:
		c.lim.warn("connect", "mqtt connect failed; retrying", fmt.Errorf("mqtt %s: %w", n.Broker.Redacted(), n.Reason))
	case paho.ConnectionNotificationFailed:
		c.lim.warn("connect", "mqtt connect failed; retrying", fmt.Errorf("mqtt %s: %w", c.url, n.Reason))
	}
}

func (c *Collector) onLost(_ paho.Client, err error) {
	c.metrics.connected.Set(0)
	c.log.Warn("mqtt connection lost; reconnecting", "url", c.url, "err", err)
}

// deliver takes a message the connection read (see bufferedConn).
func (c *Collector) deliver(m paho.Message) { c.onMessage(nil, m) }

// onMessage is paho's handler. It only queues: the worker decodes,
// stores and acks. It waits only when the queue is full, and gives up
// (unacked, so the broker redelivers) when the collector stops.
func (c *Collector) onMessage(_ paho.Client, m paho.Message) {
	c.metrics.received.Inc()
	select {
	case c.queue <- inbound{msg: m, at: c.opt.Now()}:
	case <-c.done:
	}
}

// Run connects and collects until ctx ends, then disconnects. Messages
// whose points were not yet accepted stay unacknowledged; the broker
// sends them again on the next connect. A broker that is down at start is
// retried in the background.
func (c *Collector) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	tok := c.client.Connect()
	wg.Go(func() { c.watchConnect(ctx, tok) })
	c.work(ctx)
	c.once.Do(func() { close(c.done) })
	c.client.Disconnect(250)
	c.metrics.connected.Set(0)
	cancel()
	wg.Wait()
	return nil
}

func (c *Collector) watchConnect(ctx context.Context, tok paho.Token) {
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			c.log.Error("mqtt connect failed", "url", c.url, "err", err)
		}
	case <-ctx.Done():
	}
}

// Status returns every MQTT device's status, sorted by device id.
func (c *Collector) Status() []DeviceState { return c.status.snapshot() }

// Publisher returns a Publisher on the collector's connection.
func (c *Collector) Publisher() *Publisher {
	return NewPublisher(PublisherOptions{Client: c.client, Site: c.opt.Site.ID, Names: SiteNames(c.opt.Site), Logger: c.log, metrics: c.metrics})
}
