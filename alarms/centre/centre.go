// Package centre is the group monitoring centre (集团监控中心, `facmon
// centre`, docs/centre.md): one console over many communities. It follows
// every site's alarm transitions on the central broker (a shared
// subscription, so two centre processes split the load and either one
// alone carries on), keeps a cross-site alarm board and its own journal,
// puts each site's transitions in the site's journal order exactly once,
// fetches what the transport lost from the site's history by journal
// sequence number, raises site-offline when a site's heartbeat falls
// silent, and sends acknowledgements back to the site as signed commands
// — the site stays the one source of truth for its alarms. It keeps each
// site's device status from the sites' retained status topics, and
// writes the group's view (each site's heartbeat, active alarms by
// severity and devices down: measurement site_status) to the central
// InfluxDB through the spooled writer.
//
// One goroutine (Run) owns the per-site state; MQTT messages, fetch
// results and clock ticks reach it through a channel.
package centre

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/journal"
	"facmon/alarms/sse"
	"facmon/collectors/mqtt"
)

// Options configure a Centre.
type Options struct {
	Config *Config
	// DataDir holds the centre's journal.
	DataDir string
	// JournalRecords is the journal's record cap (journal.DefaultMaxRecords
	// if 0); snapshots every minute keep what older records said.
	JournalRecords int
	// Clock dates the centre's own alarms and times heartbeats (time.Now).
	Clock func() time.Time
	// Tick is how often offline sites and stuck gaps are checked (1 s).
	Tick time.Duration
	// Factory builds the MQTT client (mqtt.PahoFactory).
	Factory mqtt.ClientFactory
	// HTTP fetches the sites' histories (a client trusting each site's CA
	// is built if nil).
	HTTP *http.Client
	// Notifier takes the centre's own transitions (site-offline raised,
	// cleared, acknowledged) once they are journaled: alarms/notify's
	// Service, built from centre.yaml's notify section. nil: the console
	// only.
	Notifier Notifier
	// Store, if set, takes the group's view: each site's status as the
	// measurement site_status (StatusMeasurement), written on change and
	// every StatusEvery (DefaultStatusEvery) — the spooled InfluxDB writer.
	Store       LineSink
	StatusEvery time.Duration
	// User names a request's authenticated user (the console's guard).
	User       func(*http.Request) string
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Notifier sends the centre's own alarms on (alarms/notify.Service).
type Notifier interface {
	alarms.Output
	// Resume takes the alarms active at start as already notified, so
	// that their clear sends the resolve.
	Resume(active []alarms.Transition)
}

// Centre is the group monitoring centre.
type Centre struct {
	o     Options
	cfg   *Config
	log   *slog.Logger
	m     *metrics
	cl    mqtt.Client
	http  *http.Client
	j     *journal.Journal
	board *board.Board
	hub   *sse.Hub
	// devices is every site's device status (Run writes, HTTP reads).
	devices *deviceTable

	in    chan event
	stop  chan struct{}         // closed when Run ends: the MQTT handler stops waiting
	sites map[string]*siteState // owned by Run
	batch []alarms.Transition   // applied, to be journaled and shown (Run)
	// linkUp and linkSince: the centre's own link to the central broker
	// and when it last changed (Run).
	linkUp    bool
	linkSince time.Time
	// written is each site's view as last written to Store, at viewsAt
	// for all of them (Run).
	written map[string]SiteView
	viewsAt time.Time

	// mark is what a snapshot of the journal covers, set by Run after
	// each journal write: each site's position and site-offline alarm as
	// of journal seq mark.seq.
	markMu sync.Mutex
	mark   snapshotState
}

// New builds a Centre and restores its board and each site's position
// from its journal.
func New(o Options) (*Centre, error) {
	if o.Config == nil || o.DataDir == "" {
		return nil, errors.New("centre: Config and DataDir are required")
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	if o.Factory == nil {
		o.Factory = mqtt.PahoFactory
	}
	if o.StatusEvery <= 0 {
		o.StatusEvery = DefaultStatusEvery
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Centre{o: o, cfg: o.Config, log: o.Logger, m: newMetrics(o.Registerer), in: make(chan event, 4096),
		stop: make(chan struct{}), sites: map[string]*siteState{}, devices: newDeviceTable()}
	var err error
	if c.http = o.HTTP; c.http == nil {
		if c.http, err = fetchClient(o.Config); err != nil {
			return nil, err
		}
	}
	c.hub = sse.New(sse.Options{ClientBuffer: StreamBuffer, History: StreamHistory, Registerer: o.Registerer,
		Logger: c.log.With("part", "sse")})
	c.board = board.New(board.Options{Acker: board.AckerFunc(c.Ack), Source: c, User: o.User,
		Registerer: o.Registerer, Logger: c.log.With("part", "board")})
	c.j, err = journal.Open(journal.Options{Dir: filepath.Join(o.DataDir, "journal"), MaxRecords: o.JournalRecords, Registerer: o.Registerer,
		Backups: journal.Backups{Interval: time.Minute, State: c.snapshot}, Logger: c.log.With("part", "journal")})
	if err != nil {
		return nil, fmt.Errorf("centre journal: %w", err)
	}
	now := o.Clock()
	for i := range o.Config.Sites {
		s := &o.Config.Sites[i]
		c.sites[s.ID] = &siteState{cfg: s, pending: map[uint64]alarms.Transition{}, lastBeat: now}
	}
	if err := c.restore(); err != nil {
		c.j.Close()
		return nil, err
	}
	if o.Notifier != nil {
		o.Notifier.Resume(c.ownActive())
	}
	c.cl = o.Factory(c.clientOptions())
	return c, nil
}

// Run connects to the broker and handles messages, fetches and ticks
// until ctx ends; then it closes the journal.
func (c *Centre) Run(ctx context.Context) error {
	defer c.j.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { _ = c.hub.Run(ctx) })
	c.cl.Connect() // retries in the background
	defer c.cl.Disconnect(250)
	defer close(c.stop)
	tick := time.NewTicker(c.o.Tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-c.in:
			c.handle(ctx, &wg, ev)
			c.drainIn(ctx, &wg)
		case <-tick.C:
			now := c.o.Clock()
			c.check(ctx, &wg, now)
			c.flush(ctx)
			c.writeViews(ctx, now)
		}
		c.flush(ctx)
	}
}

// drainIn handles the events already waiting, up to a batch, so that
// their transitions share one journal write (one fsync). It stops once the
// batch holds flushMax transitions: a batch reaches the event stream at
// once, and a burst larger than a reader's buffer would disconnect every
// console (after an outage the gap fills bring up to FetchLimit each).
func (c *Centre) drainIn(ctx context.Context, wg *sync.WaitGroup) {
	for range maxBatch {
		if len(c.batch) >= flushMax {
			return
		}
		select {
		case ev := <-c.in:
			c.handle(ctx, wg, ev)
		default:
			return
		}
	}
}

// maxBatch bounds the events handled between two journal writes.
const maxBatch = 512

// flushMax is the batch size past which drainIn gathers no more events; a
// flush then holds fewer than flushMax + FetchLimit transitions.
const flushMax = FetchLimit

// The centre's event stream: a reader's buffer holds two of the largest
// flushes, so a console that reads at all is not disconnected by the
// bursts of a catch-up after an outage (sse.DefaultClientBuffer, 1,024,
// was below one gap fill); the hub keeps about a minute of the group's
// traffic after an outage (12,000 transitions for 20 sites at 10/s) for
// readers that reconnect and resume.
const (
	StreamBuffer  = 2 * (flushMax + FetchLimit)
	StreamHistory = 20_000
)

// Mount registers the board, the history, ack, the event stream and the
// group map's data with handle (behind the console's guard).
func (c *Centre) Mount(handle func(pattern string, h http.Handler)) {
	c.board.Mount(handle)
	handle("GET /api/v1/events", c.hub)
	handle("GET /api/v1/centre/sites", http.HandlerFunc(c.serveSites))
	handle("GET /api/v1/centre/sites/{site}", http.HandlerFunc(c.serveSite))
	handle("GET /api/v1/devices", http.HandlerFunc(c.serveDevices))
}

// Board returns the cross-site board (tests, tools).
func (c *Centre) Board() *board.Board { return c.board }

// Journal is the centre's journal; read it only.
func (c *Centre) Journal() *journal.Journal { return c.j }
