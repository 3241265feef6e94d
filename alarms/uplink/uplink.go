// Package uplink is a site's link to the group monitoring centre
// (docs/centre.md). On its own connection to the site's broker, which
// Mosquitto bridges to the centre, it publishes a retained heartbeat on
// facmon/<site>/heartbeat (the site, its name, the time and the journal's
// head seq; early when the head moved) with a retained last-will saying the site is offline, and it
// takes the centre's signed acknowledgements from
// facmon/<site>/command/ack: a valid one is applied by the alarm service
// as centre:<user> (the transition then goes out on the alarm topic like
// any other), a forged, stale or replayed one is refused and journaled
// with the reason. The site stays the one source of truth.
package uplink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"facmon/alarms/journal"
	"facmon/collectors/mqtt"
	"facmon/internal/site"
)

// QoS of heartbeats and commands: at least once.
const QoS = 1

// ActionCentreAck is the journal action of a centre's acknowledgement
// command, accepted (type action, payload the nonce) or refused.
const ActionCentreAck = "centre-ack"

// Alarms is the part of the alarm service the uplink uses.
type Alarms interface {
	// Ack acknowledges an alarm on behalf of user.
	Ack(ctx context.Context, id, user string, at time.Time) error
	// Record journals an entry that changes no alarm.
	Record(ctx context.Context, e journal.Record) error
}

// Journal is the part of the journal the uplink reads: its head for the
// heartbeat, the centre commands it accepted for the nonces seen.
type Journal interface {
	Last() uint64
	Range(from, to time.Time, f journal.Filter) ([]journal.Record, error)
}

// Options configure an Uplink.
type Options struct {
	// Site is the site file; its centre section must be enabled.
	Site    *site.Site
	Alarms  Alarms
	Journal Journal
	// Clock dates heartbeats and checks command windows (time.Now).
	Clock func() time.Time
	// Factory builds the MQTT client (mqtt.PahoFactory).
	Factory    mqtt.ClientFactory
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Uplink is a site's link to the centre.
type Uplink struct {
	o      Options
	s      *site.Site
	key    []byte
	window time.Duration
	log    *slog.Logger
	cl     mqtt.Client
	in     chan []byte
	seen   *nonces

	commands *prometheus.CounterVec
	dropped  prometheus.Counter

	sent uint64 // the journal head in the last heartbeat (Run)
}

// HeadEvery is how often the uplink looks at the journal's head between
// heartbeats: when it moved, a heartbeat goes out at once. Two centres
// share the alarm topic (the broker gives each transition to one); the
// other learns of it from the next message of the site it gets, which at
// a site's usual rate is the next heartbeat. The head in an early
// heartbeat makes it fetch the transition within HeadEvery instead.
const HeadEvery = 200 * time.Millisecond

// Heartbeat is the retained message on facmon/<site>/heartbeat.
type Heartbeat struct {
	Site   string    `json:"site"`
	Name   string    `json:"name,omitempty"`
	Online bool      `json:"online"`
	Time   time.Time `json:"time,omitzero"`
	// Seq is the journal's head: the centre fetches what it lacks up to it.
	Seq uint64 `json:"seq"`
	// Every is the heartbeat interval, so the centre can size its timeout.
	Every string `json:"every,omitempty"`
}

// Topics of a site.
func HeartbeatTopic(siteID string) string  { return "facmon/" + siteID + "/heartbeat" }
func AckCommandTopic(siteID string) string { return "facmon/" + siteID + "/command/ack" }

// New builds an Uplink and restores the nonces of the commands accepted
// within the window from the journal, so that a restart does not reopen
// the replay window.
func New(o Options) (*Uplink, error) {
	if o.Site == nil || !o.Site.Centre.Enabled() || o.Alarms == nil || o.Journal == nil {
		return nil, errors.New("centre uplink: Site with a centre key, Alarms and Journal are required")
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Factory == nil {
		o.Factory = mqtt.PahoFactory
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	u := &Uplink{o: o, s: o.Site, key: []byte(o.Site.Centre.Key.Reveal()), window: time.Duration(o.Site.Centre.CommandWindow),
		log: o.Logger, in: make(chan []byte, 64)}
	f := promauto.With(o.Registerer)
	u.commands = f.NewCounterVec(prometheus.CounterOpts{Name: "facmon_centre_commands_total",
		Help: "Commands from the group centre, by result (applied, refused)."}, []string{"result"})
	u.dropped = f.NewCounter(prometheus.CounterOpts{Name: "facmon_centre_commands_dropped_total",
		Help: "Commands from the group centre dropped unread because the queue was full."})
	var err error
	if u.seen, err = restoreNonces(o.Journal, o.Clock(), 2*u.window); err != nil {
		return nil, err
	}
	opts, err := u.clientOptions()
	if err != nil {
		return nil, err
	}
	u.cl = o.Factory(opts)
	return u, nil
}

// clientOptions: a persistent session of its own (commands sent while
// facmon is down wait at the broker), the retained last-will.
func (u *Uplink) clientOptions() (*paho.ClientOptions, error) {
	m := &u.s.MQTT
	tc, err := mqtt.TLSConfig(m.TLS)
	if err != nil {
		return nil, fmt.Errorf("centre uplink: mqtt.tls: %w", err)
	}
	will, _ := json.Marshal(Heartbeat{Site: u.s.ID, Name: u.s.Name, Online: false})
	o := paho.NewClientOptions().AddBroker(m.URL).SetClientID(mqtt.ClientID(u.s)+"-uplink").
		SetCleanSession(false).SetOrderMatters(true).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).SetMaxReconnectInterval(10*time.Second).
		SetKeepAlive(time.Duration(u.s.Centre.Heartbeat)*2).SetWriteTimeout(10*time.Second).
		SetBinaryWill(HeartbeatTopic(u.s.ID), will, QoS, true).
		SetDefaultPublishHandler(u.onMessage).SetOnConnectHandler(u.onConnect)
	if m.Username != "" {
		o.SetUsername(m.Username).SetPassword(m.Password.Reveal())
	}
	if tc != nil {
		o.SetTLSConfig(tc)
	}
	return o, nil
}

// onConnect subscribes to the commands (it runs again after every
// reconnect, on paho's goroutine). It publishes nothing: paho resends its
// stored messages after calling it, and a message published meanwhile
// races with that resend (paho 1.5 marks it DUP while it is written).
func (u *Uplink) onConnect(cl paho.Client) {
	tok := cl.SubscribeMultiple(map[string]byte{AckCommandTopic(u.s.ID): QoS}, u.onMessage)
	if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		u.log.Error("centre command subscription failed", "topic", AckCommandTopic(u.s.ID), "err", tok.Error())
	}
}

// onMessage hands a command to the worker without blocking paho.
func (u *Uplink) onMessage(_ paho.Client, m paho.Message) {
	select {
	case u.in <- m.Payload():
	default:
		u.dropped.Inc()
		u.log.Warn("centre command dropped: queue full", "topic", m.Topic())
	}
}

// Run connects, publishes heartbeats and applies commands until ctx ends;
// then it publishes the site offline and disconnects.
func (u *Uplink) Run(ctx context.Context) error {
	connected := u.cl.Connect().Done() // retries in the background (SetConnectRetry)
	every := time.Duration(u.s.Centre.Heartbeat)
	tick := time.NewTicker(every)
	defer tick.Stop()
	head := time.NewTicker(HeadEvery)
	defer head.Stop()
	for {
		select {
		case <-connected: // connected and the session resumed: the first heartbeat now
			connected = nil
			u.heartbeat(true)
		case <-head.C:
			if connected == nil && u.o.Journal.Last() != u.sent {
				u.heartbeat(true)
			}
		case <-ctx.Done():
			u.heartbeat(false)
			u.cl.Disconnect(250)
			return nil
		case <-tick.C:
			u.heartbeat(true)
		case msg := <-u.in:
			u.handle(ctx, msg)
		}
	}
}

// heartbeat publishes the retained heartbeat; it waits at most a second
// for the broker, the next one follows anyway.
func (u *Uplink) heartbeat(online bool) {
	if !u.cl.IsConnectionOpen() {
		return
	}
	hb := Heartbeat{Site: u.s.ID, Name: u.s.Name, Online: online, Time: u.o.Clock(), Seq: u.o.Journal.Last(),
		Every: time.Duration(u.s.Centre.Heartbeat).String()}
	b, _ := json.Marshal(hb)
	u.cl.Publish(HeartbeatTopic(u.s.ID), QoS, true, b).WaitTimeout(time.Second)
	u.sent = hb.Seq
}
