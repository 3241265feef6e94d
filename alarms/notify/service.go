package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms"
	"facmon/alarms/notify/acklink"
	"facmon/alarms/notify/outbox"
	"facmon/alarms/notify/roster"
	"facmon/internal/site"
)

// Options build a Service.
type Options struct {
	// Notify is the checked notify section of the site file.
	Notify   *site.Notify
	SiteID   string
	Location *time.Location
	// Names are the site file's names and time zone that messages show
	// (NamesOf); nil: ids and UTC.
	Names *Names
	// Receivers are the built notifiers by name (Build makes them).
	Receivers map[string]Notifier
	// Resend is the refresh period of each Alertmanager receiver.
	Resend map[string]time.Duration
	// OutboxDir holds the outbox.
	OutboxDir string
	// Links signs acknowledge links; nil: messages carry none.
	Links *acklink.Signer
	// Now is the clock; time.Now when nil.
	Now     func() time.Time
	Backoff Backoff
	Logger  *slog.Logger
	// Registerer takes the facmon_notify_* series; nil: none.
	Registerer prometheus.Registerer
	// Outbox tunes the outbox.
	Outbox outbox.Options
}

// Service is the notifier: an alarms.Output that routes, groups and
// escalates transitions into messages, and delivers them from the outbox.
type Service struct {
	o      Options
	roster *roster.Roster
	router *roster.Router
	ob     *outbox.Outbox
	queues map[string]*queue
	m      *metrics
	poke   chan struct{}

	mu          sync.Mutex
	active      map[string]*alarm
	flood       *flood
	esc         *escalator
	nextRefresh map[string]time.Time
	nextBeat    time.Time
}

// alarm is an active alarm and who has heard of it.
type alarm struct {
	alert  Alert
	plan   roster.Plan
	sev    string
	sent   bool
	people []roster.Person
}

// New opens the outbox and builds the service; pending messages from
// before a restart are queued again. Run sends them.
func New(o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Backoff.Min <= 0 {
		o.Backoff = Backoff{Min: time.Second, Max: 5 * time.Minute}
	}
	n := o.Notify
	ros, err := roster.New(n, o.Location)
	if err != nil {
		return nil, err
	}
	ob, pending, err := outbox.Open(o.OutboxDir, o.Outbox)
	if err != nil {
		return nil, err
	}
	s := &Service{o: o, roster: ros, router: roster.NewRouter(n), ob: ob, m: newMetrics(o.Registerer),
		poke: make(chan struct{}, 1), active: map[string]*alarm{}, nextRefresh: map[string]time.Time{},
		flood: newFlood(n.FloodHold.Std(), n.FloodWindow.Std()),
		esc: newEscalator(map[string]time.Duration{"critical": n.Escalation.Critical.Std(), "major": n.Escalation.Major.Std(),
			"minor": n.Escalation.Minor.Std(), "warning": n.Escalation.Warning.Std()}),
	}
	s.buildQueues()
	s.requeue(pending)
	return s, nil
}

// buildQueues makes one queue per receiver.
func (s *Service) buildQueues() {
	s.queues = map[string]*queue{}
	for name, nt := range s.o.Receivers {
		rate, timeout := site.DefaultReceiverRate, site.DefaultReceiverTimeout.Std()
		if r, ok := s.o.Notify.Receiver(name); ok {
			rate, timeout = r.RatePerMinute, r.Timeout.Std()
		}
		s.queues[name] = &queue{name: name, n: nt, ob: s.ob, backoff: s.o.Backoff, limit: newLimiter(rate, s.o.Now),
			timeout: timeout, now: s.o.Now, log: s.o.Logger, m: s.m, wake: make(chan struct{}, 1)}
	}
}

// requeue queues the entries left pending by the last run.
func (s *Service) requeue(pending []outbox.Entry) {
	for _, e := range pending {
		q, ok := s.queues[e.Receiver]
		if !ok {
			s.o.Logger.Warn("notify: pending message for a receiver no longer configured, dropped", "receiver", e.Receiver, "id", e.ID)
			s.ob.Done(e.ID, e.Receiver)
			continue
		}
		q.push(e)
	}
	if len(pending) > 0 {
		s.o.Logger.Info("notify: messages pending from the last run", "count", len(pending))
	}
}

// Run sends messages and drives flood groups, escalation, Alertmanager
// refreshes and the heartbeat until ctx ends; then it closes the outbox.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, q := range s.queues {
		wg.Go(func() { q.run(ctx) })
	}
	defer func() {
		wg.Wait()
		s.ob.Close()
	}()
	s.mu.Lock()
	s.startTimers(s.o.Now())
	s.mu.Unlock()
	for {
		d := s.untilNext()
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-s.poke:
			t.Stop()
		}
		if err := s.Tick(s.o.Now()); err != nil {
			s.o.Logger.Error("notify: tick", "err", err)
		}
	}
}

// startTimers sets the first refresh and heartbeat times.
func (s *Service) startTimers(now time.Time) {
	for name, d := range s.o.Resend {
		if d > 0 {
			s.nextRefresh[name] = now.Add(d)
		}
	}
	if s.o.Notify.Heartbeat.Interval > 0 {
		s.nextBeat = now
	}
}

// untilNext returns how long until the next thing is due (at most a minute).
func (s *Service) untilNext() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.o.Now().Add(time.Minute)
	for _, t := range append([]time.Time{s.flood.Next(), s.esc.Next(), s.nextBeat}, mapValues(s.nextRefresh)...) {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	return max(0, next.Sub(s.o.Now()))
}

// mapValues returns a map's values.
func mapValues(m map[string]time.Time) []time.Time {
	out := make([]time.Time, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// Transitions routes the engine's transitions. It returns once the
// messages due at once are in the outbox on disk.
func (s *Service) Transitions(ctx context.Context, ts []alarms.Transition) error {
	s.mu.Lock()
	now := s.o.Now()
	var out []Message
	for i := range ts {
		t := &ts[i]
		switch {
		case t.Hold != alarms.NotHeld && (t.Change == alarms.Raise || s.active[t.ID] == nil):
			// Held back (maintenance window): not notified; an alarm that
			// was notified before the hold still gets its clear.
		case t.Change == alarms.Raise:
			out = s.raise(t, now, out)
		case t.Change == alarms.Clear:
			out = s.clear(t, now, out)
		case t.Change == alarms.Ack:
			s.esc.Stop(t.ID)
		}
	}
	err := s.enqueue(out)
	s.mu.Unlock()
	select {
	case s.poke <- struct{}{}:
	default:
	}
	return err
}

// raise records a raised alarm and fires it unless the flood holds it.
func (s *Service) raise(t *alarms.Transition, now time.Time, out []Message) []Message {
	a := &alarm{alert: s.alert(t), plan: s.router.Match(t.Severity.String(), t.Kind, t.Area), sev: t.Severity.String()}
	s.active[t.ID] = a
	if s.flood.Add(t.Rule, t.ID, now) {
		return s.fire([]*alarm{a}, now, out)
	}
	return out
}

// clear sends the recovery notice to every receiver and person that heard
// of the alarm; a group still held is sent first, to keep the order.
func (s *Service) clear(t *alarms.Transition, now time.Time, out []Message) []Message {
	a, ok := s.active[t.ID]
	if !ok { // raised before a restart: the receivers still need the resolve
		a = &alarm{alert: s.alert(t), plan: s.router.Match(t.Severity.String(), t.Kind, t.Area), sev: t.Severity.String(), sent: true}
	}
	if !a.sent {
		if g := s.flood.Take(t.Rule, t.ID); g != nil {
			out = s.fire(s.alarmsOf(g.ids), now, out)
		}
	}
	s.esc.Stop(t.ID)
	delete(s.active, t.ID)
	s.o.Names.ended(&a.alert, t.Time)
	for _, r := range a.plan.Receivers {
		out = append(out, s.message(Resolved, r, nil, 0, []Alert{a.alert}, now))
	}
	for _, p := range a.people {
		out = append(out, s.personal(Resolved, p, 0, []Alert{a.alert}, now)...)
	}
	return out
}

// alarmsOf returns the active alarms with ids.
func (s *Service) alarmsOf(ids []string) []*alarm {
	var out []*alarm
	for _, id := range ids {
		if a, ok := s.active[id]; ok {
			out = append(out, a)
		}
	}
	return out
}

// alert turns a transition into the alert messages show.
func (s *Service) alert(t *alarms.Transition) Alert {
	a := Alert{ID: t.ID, Rule: t.Rule, Site: t.Site, Area: t.Area, Kind: t.Kind, Device: t.Device,
		Severity: t.Severity.String(), Message: t.Message, Cite: t.Cite, Action: t.Action, Value: t.Value, StartsAt: t.ActiveSince}
	if a.StartsAt.IsZero() {
		a.StartsAt = t.Time
	}
	if base := s.o.Notify.PublicURL; base != "" {
		a.ConsoleURL = strings.TrimRight(base, "/") + "/?alarm=" + url.QueryEscape(t.ID)
	}
	s.o.Names.describe(&a)
	return a
}

// fire sends a group of alarms (one, or a flood) to their receivers and to
// the people of their routes and duty level 1, and starts escalation.
func (s *Service) fire(group []*alarm, now time.Time, out []Message) []Message {
	recv := map[string][]Alert{}
	var recvOrder []string
	per := newAudience()
	for _, a := range group {
		a.sent = true
		for _, r := range a.plan.Receivers {
			if _, ok := recv[r]; !ok {
				recvOrder = append(recvOrder, r)
			}
			recv[r] = append(recv[r], a.alert)
		}
		people := s.roster.Resolve(a.plan.People)
		if a.plan.Duty {
			duty := s.roster.OnDuty(now, 1)
			if len(duty) == 0 {
				s.o.Logger.Warn("notify: no shift on duty now", "alarm", a.alert.ID)
			}
			people = append(duty, people...)
			s.esc.Start(a.alert.ID, a.alert.Rule, a.sev, now)
		}
		for _, p := range people {
			per.add(p, a)
		}
	}
	for _, r := range recvOrder {
		out = append(out, s.message(Firing, r, nil, 0, recv[r], now))
	}
	return per.messages(s, Firing, 1, now, out)
}

// message builds one message with its stable id.
func (s *Service) message(ev Event, receiver string, to *roster.Person, level int, alerts []Alert, now time.Time) Message {
	parts := []string{string(ev), receiver, fmt.Sprint(level)}
	var p *Person
	lang := site.LangZh
	if to != nil {
		p = &Person{ID: to.ID, Name: to.Name, Phone: to.Phone, Lang: to.Lang}
		parts = append(parts, to.ID)
		lang = first(to.Lang, lang)
	}
	alerts = localized(alerts, lang)
	for _, a := range alerts {
		parts = append(parts, a.ID)
	}
	m := Message{ID: msgID(parts...), Receiver: receiver, Event: ev, Level: level, Alerts: alerts,
		Count: len(alerts), To: p, Lang: lang, Created: now}
	if p != nil && s.o.Links != nil && len(alerts) > 0 && ev != Resolved {
		m.AckURL = s.o.Links.Link(alerts[0].ID, p.ID, now)
	}
	return m
}

// localized returns a copy of alerts with their severity named in lang.
func localized(alerts []Alert, lang string) []Alert {
	out := make([]Alert, len(alerts))
	w := wordsOf(lang)
	for i, a := range alerts {
		a.SeverityName = w.severity[a.Severity]
		out[i] = a
	}
	return out
}

// personal builds one message per channel of a person.
func (s *Service) personal(ev Event, p roster.Person, level int, alerts []Alert, now time.Time) []Message {
	out := make([]Message, 0, len(p.Receivers))
	for _, r := range p.Receivers {
		out = append(out, s.message(ev, r, &p, level, alerts, now))
	}
	return out
}

// msgID hashes the parts that make a message unique into its idempotency
// key.
func msgID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

// enqueue puts messages in the outbox (on disk) and in their queues.
func (s *Service) enqueue(msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	entries := make([]outbox.Entry, 0, len(msgs))
	for i := range msgs {
		if _, ok := s.queues[msgs[i].Receiver]; !ok {
			s.o.Logger.Error("notify: receiver not built", "receiver", msgs[i].Receiver)
			continue
		}
		b, err := json.Marshal(&msgs[i])
		if err != nil {
			return fmt.Errorf("notify: message %s: %w", msgs[i].ID, err)
		}
		entries = append(entries, outbox.Entry{ID: msgs[i].ID, Receiver: msgs[i].Receiver, Added: msgs[i].Created, Body: b})
	}
	added, err := s.ob.Add(entries...)
	if err != nil {
		return err
	}
	for _, e := range added {
		s.queues[e.Receiver].push(e)
	}
	return nil
}
