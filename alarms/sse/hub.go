// Package sse is the Server-Sent Events hub behind GET /api/v1/events: it
// pushes alarm transitions (event "alarm") and device-status changes
// (event "device") to the operator console as they happen, with a
// heartbeat (event "ping") every few seconds so the console's stale-display
// guard can tell a dead connection from a quiet one.
//
// Every stored event has an id, increasing by one. A ring of the last N
// events lets a client that reconnects with Last-Event-ID get exactly what
// it missed; when that is no longer possible the client gets a "reset"
// event and reloads the alarm list. Ids start from the hub's start time in
// microseconds, so the ids of a restarted facmon are higher than any it
// gave out before, and a client resuming across a restart is told to
// reset instead of being silently shown a gap.
//
// A client that cannot keep up (its bounded buffer fills) is disconnected;
// the hub never waits for a client. The browser reconnects on its own and
// resumes.
package sse

import (
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Options.
const (
	DefaultHistory      = 10_000
	DefaultClientBuffer = 1024
	DefaultHeartbeat    = 5 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultRetry        = time.Second
)

// Options configure a Hub.
type Options struct {
	// History is how many events are kept for clients that resume.
	History int
	// ClientBuffer is how many events a client may fall behind before it
	// is disconnected.
	ClientBuffer int
	// Heartbeat is the interval of "ping" events.
	Heartbeat time.Duration
	// WriteTimeout bounds one write to a client, so a client whose TCP
	// window is shut cannot hold its handler forever.
	WriteTimeout time.Duration
	// Retry is the reconnect delay the hub asks browsers to use.
	Retry time.Duration
	// Now is the clock (default time.Now): it dates pings and sets the
	// first event id.
	Now func() time.Time
	// Ticker makes the heartbeat ticker (default time.NewTicker); tests
	// pass their own channel.
	Ticker     func(d time.Duration) (<-chan time.Time, func())
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

func (o Options) withDefaults() Options {
	o.History = orDefault(o.History, DefaultHistory)
	o.ClientBuffer = orDefault(o.ClientBuffer, DefaultClientBuffer)
	o.Heartbeat = orDefault(o.Heartbeat, DefaultHeartbeat)
	o.WriteTimeout = orDefault(o.WriteTimeout, DefaultWriteTimeout)
	o.Retry = orDefault(o.Retry, DefaultRetry)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Ticker == nil {
		o.Ticker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	return o
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// event is one stored event: its id and its encoded frame.
type event struct {
	id    uint64
	frame []byte
}

// client is one connected stream. The hub sends frames on ch and closes
// gone when it drops the client.
type client struct {
	ch   chan []byte
	gone chan struct{}
}

// Hub is the event hub: an alarms.Output, a collectors.Sink for device
// status points, and the http.Handler of the stream.
type Hub struct {
	o   Options
	log *slog.Logger
	m   *metrics

	mu      sync.Mutex
	next    uint64  // id of the next event
	ring    []event // the last len(ring) events, oldest at head
	head    int
	count   int
	clients map[*client]struct{}
	closed  bool
}

// New builds a Hub; Run sends its heartbeats.
func New(o Options) *Hub {
	o = o.withDefaults()
	first := uint64(max(o.Now().UnixMicro(), 1))
	return &Hub{o: o, log: o.Logger, m: newMetrics(o.Registerer), next: first,
		ring: make([]event, o.History), clients: make(map[*client]struct{})}
}

// LastID is the id of the newest event (one less than the first id while
// none was published).
func (h *Hub) LastID() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.next - 1
}

// publish stores an event of type typ with data and sends it to every
// client.
func (h *Hub) publish(typ string, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	id := h.next
	h.next++
	ev := event{id: id, frame: frame(id, typ, data)}
	h.store(ev)
	h.m.events.WithLabelValues(typ).Inc()
	h.broadcastLocked(ev.frame)
}

func (h *Hub) store(ev event) {
	i := (h.head + h.count) % len(h.ring)
	if h.count == len(h.ring) {
		h.head = (h.head + 1) % len(h.ring)
	} else {
		h.count++
	}
	h.ring[i] = ev
}

// broadcastLocked offers f to every client; a client whose buffer is full
// is dropped.
func (h *Hub) broadcastLocked(f []byte) {
	for c := range h.clients {
		select {
		case c.ch <- f:
		default:
			h.dropLocked(c, "slow")
		}
	}
}

func (h *Hub) dropLocked(c *client, why string) {
	delete(h.clients, c)
	close(c.gone)
	h.m.clients.Set(float64(len(h.clients)))
	if why == "slow" {
		h.m.dropped.Inc()
		h.log.Warn("event stream client too slow, disconnected", "buffer", cap(c.ch))
	}
}

// subscribe registers a client and returns the frames it missed since
// lastID (resume), or a reset frame if they are gone. Registering and
// reading the ring under one lock is what makes resume exact: no event is
// both in the backlog and sent live, none is in neither.
func (h *Hub) subscribe(lastID uint64, resume bool) (c *client, backlog [][]byte, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, false
	}
	c = &client{ch: make(chan []byte, h.o.ClientBuffer), gone: make(chan struct{})}
	h.clients[c] = struct{}{}
	h.m.clients.Set(float64(len(h.clients)))
	if resume {
		backlog = h.since(lastID)
	}
	return c, backlog, true
}

// since returns the frames after lastID, or one reset frame if lastID is
// older than the ring or unknown.
func (h *Hub) since(lastID uint64) [][]byte {
	oldest := h.next - uint64(h.count)
	if lastID >= h.next || lastID+1 < oldest {
		h.m.resets.Inc()
		return [][]byte{resetFrame(h.next-1, lastID)}
	}
	n := int(h.next - 1 - lastID)
	out := make([][]byte, 0, n)
	for k := h.count - n; k < h.count; k++ {
		out = append(out, h.ring[(h.head+k)%len(h.ring)].frame)
	}
	return out
}

func (h *Hub) unsubscribe(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		h.dropLocked(c, "gone")
	}
}

// closeAll stops the hub: every client is disconnected and later
// publishes are ignored.
func (h *Hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.clients {
		h.dropLocked(c, "shutdown")
	}
}
