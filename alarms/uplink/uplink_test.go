package uplink

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/command"
	"facmon/alarms/journal"
	"facmon/alarms/rules"
	"facmon/alarms/service"
	"facmon/collectors"
	"facmon/collectors/mqtt"
	"facmon/deploy/testbed"
	"facmon/internal/site"
	"facmon/internal/testsupport"
)

var (
	t0  = time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)
	key = strings.Repeat("k", 32)
)

const testRules = `
rules:
  - name: intrusion
    severity: critical
    cite: 篇3·二十二·3
    select: {kind: perimeter_zone}
    signal: alarm
    message: 'intrusion {{.Device}}'
    state: {equals: 1}
`

func testSite(url string) *site.Site {
	zone := func(id string) site.Device {
		return site.Device{ID: id, Kind: "perimeter_zone", Area: "wall", Signals: []site.Signal{{Name: "alarm", Type: site.State}}}
	}
	return &site.Site{ID: "s1", Name: "东区", Timezone: "UTC", Location: time.UTC, Areas: []site.Area{{ID: "wall"}},
		Devices: []site.Device{zone("pz-1"), zone("pz-2")}, MQTT: site.MQTT{URL: url},
		Centre: site.Centre{Key: site.Secret(key), Heartbeat: site.Duration(time.Second), CommandWindow: site.Duration(5 * time.Minute)}}
}

type nullStore struct{}

func (nullStore) PublishLines(context.Context, [][]byte) error      { return nil }
func (nullStore) Publish(context.Context, []collectors.Point) error { return nil }

func connect(t *testing.T, url, id string, onMsg paho.MessageHandler) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true).SetOrderMatters(true)
	cl := paho.NewClient(o)
	if tok := cl.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", id, tok.Error())
	}
	if onMsg != nil {
		if tok := cl.Subscribe("facmon/#", 1, onMsg); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	return cl
}

// edge is an alarm service publishing on a real broker, and its uplink.
type edge struct {
	svc    *service.Service
	clock  *testsupport.Clock
	site   *site.Site
	stopUp func()
}

func startEdge(t *testing.T, url string) *edge {
	t.Helper()
	return startEdgeOf(t, testSite(url))
}

func startEdgeOf(t *testing.T, st *site.Site) *edge {
	t.Helper()
	f, err := rules.Parse("test.yaml", []byte(testRules))
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Validate([]*rules.File{f}, st)
	if err != nil {
		t.Fatal(err)
	}
	clock := testsupport.NewClock(t0)
	svc, err := service.New(service.Options{Site: st, Rules: set, DataDir: t.TempDir(), Store: nullStore{}, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pub := mqtt.NewPublisher(mqtt.PublisherOptions{Client: connect(t, st.MQTT.URL, "edge-alarms", nil), Site: st.ID})
	svc.Update(ctx, st, nil, service.Links{MQTT: pub})
	var wg sync.WaitGroup
	wg.Go(func() { _ = svc.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	e := &edge{svc: svc, clock: clock, site: st}
	e.startUplink(t)
	return e
}

func (e *edge) startUplink(t *testing.T) {
	t.Helper()
	u, err := New(Options{Site: e.site, Alarms: e.svc, Journal: e.svc.Journal(), Clock: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = u.Run(ctx) })
	e.stopUp = sync.OnceFunc(func() { cancel(); wg.Wait() })
	t.Cleanup(e.stopUp)
}

// inbox collects what the "centre" receives.
type inbox struct {
	mu   sync.Mutex
	msgs []paho.Message
}

func (b *inbox) handle(_ paho.Client, m paho.Message) {
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	b.mu.Unlock()
}

func (b *inbox) alarms() []alarms.Transition {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []alarms.Transition
	for _, m := range b.msgs {
		if m.Topic() == "facmon/s1/alarm" {
			var tr alarms.Transition
			if json.Unmarshal(m.Payload(), &tr) == nil {
				out = append(out, tr)
			}
		}
	}
	return out
}

func (b *inbox) heartbeat() (Heartbeat, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.msgs) - 1; i >= 0; i-- {
		if b.msgs[i].Topic() == HeartbeatTopic("s1") {
			var hb Heartbeat
			return hb, json.Unmarshal(b.msgs[i].Payload(), &hb) == nil
		}
	}
	return Heartbeat{}, false
}

func (b *inbox) find(t *testing.T, what string, f func(alarms.Transition) bool) alarms.Transition {
	t.Helper()
	var got alarms.Transition
	testsupport.Eventually(t, 20*time.Second, what, func() bool {
		for _, tr := range b.alarms() {
			if f(tr) {
				got = tr
				return true
			}
		}
		return false
	})
	return got
}

func refused(t *testing.T, j *journal.Journal, reason string) bool {
	t.Helper()
	recs, err := j.Range(time.Time{}, time.Time{}, journal.Filter{Types: []journal.Type{journal.TypeRefusedAction}, Action: ActionCentreAck})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if strings.Contains(r.Reason, reason) {
			return true
		}
	}
	return false
}

// TestCentreAckOverMosquitto: on a real broker, transitions carry their
// journal seq; the heartbeat is retained with the journal's head; a
// signed ack is applied as centre:<user> and its transition comes back on
// the alarm topic; a replay (also after a restart), a forgery and a stale
// command are refused and journaled; the history answers after_seq in
// ascending order; a stopping uplink leaves the site offline, retained.
func TestCentreAckOverMosquitto(t *testing.T) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	var box inbox
	centre := connect(t, broker.URL, "centre", box.handle)
	e := startEdge(t, broker.URL)
	j := e.svc.Journal()

	send := func(a command.Ack, k string) []byte {
		msg, err := command.Sign(a, []byte(k))
		if err != nil {
			t.Fatal(err)
		}
		if tok := centre.Publish(AckCommandTopic("s1"), 1, false, msg); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
		return msg
	}
	raise := func(dev string) alarms.Transition {
		if err := e.svc.Consume(context.Background(), []collectors.Point{{Site: "s1", Device: dev, Signal: "alarm", Value: 1, Time: e.clock.Now()}}); err != nil {
			t.Fatal(err)
		}
		return box.find(t, dev+" raise on the alarm topic", func(tr alarms.Transition) bool { return tr.Device == dev && tr.Change == alarms.Raise })
	}

	r1 := raise("pz-1")
	if r1.Seq == 0 || r1.Seq > j.Last() {
		t.Fatalf("raise seq %d, journal head %d", r1.Seq, j.Last())
	}
	testsupport.Eventually(t, 20*time.Second, "heartbeat with the journal head", func() bool {
		hb, ok := box.heartbeat()
		return ok && hb.Online && hb.Site == "s1" && hb.Name == "东区" && hb.Seq >= r1.Seq
	})

	ack := command.NewAck("s1", r1.ID, "alice", e.clock.Now())
	msg := send(ack, key)
	a1 := box.find(t, "the centre's ack on the alarm topic", func(tr alarms.Transition) bool { return tr.ID == r1.ID && tr.Change == alarms.Ack })
	if a1.By != "centre:alice" || a1.Seq <= r1.Seq {
		t.Fatalf("ack by %q seq %d (raise seq %d)", a1.By, a1.Seq, r1.Seq)
	}

	// replay, forged, other site, stale
	centre.Publish(AckCommandTopic("s1"), 1, false, msg).WaitTimeout(20 * time.Second)
	testsupport.Eventually(t, 20*time.Second, "replay refused and journaled", func() bool { return refused(t, j, "replayed") })
	r2 := raise("pz-2")
	send(command.NewAck("s1", r2.ID, "mallory", e.clock.Now()), strings.Repeat("x", 32))
	testsupport.Eventually(t, 20*time.Second, "forgery refused and journaled", func() bool { return refused(t, j, "bad signature") })
	send(command.NewAck("s1", r2.ID, "bob", e.clock.Now().Add(-time.Hour)), key)
	testsupport.Eventually(t, 20*time.Second, "stale command refused", func() bool { return refused(t, j, "outside the window") })
	for _, tr := range e.svc.Board() {
		if tr.ID == r2.ID && tr.Change == alarms.Ack {
			t.Fatal("a refused command acknowledged the alarm")
		}
	}

	// a restarted uplink still knows the nonce
	e.stopUp()
	testsupport.Eventually(t, 20*time.Second, "offline heartbeat on stop", func() bool {
		hb, ok := box.heartbeat()
		return ok && !hb.Online
	})
	before := len(refusals(t, j))
	e.startUplink(t)
	centre.Publish(AckCommandTopic("s1"), 1, false, msg).WaitTimeout(20 * time.Second)
	testsupport.Eventually(t, 20*time.Second, "replay after restart refused", func() bool {
		rs := refusals(t, j)
		return len(rs) > before && strings.Contains(rs[0].Reason, "replayed")
	})

	// history after_seq: ascending, each with its seq, paged
	ts, more, err := e.svc.History(context.Background(), board.HistoryQuery{BySeq: true, AfterSeq: 0, Limit: 2})
	if err != nil || !more || len(ts) != 2 || ts[0].Seq != r1.Seq || ts[1].Seq != a1.Seq {
		t.Fatalf("after_seq=0 limit 2: %v more=%v %+v", err, more, seqs(ts))
	}
	ts, more, _ = e.svc.History(context.Background(), board.HistoryQuery{BySeq: true, AfterSeq: a1.Seq, Limit: 100})
	if more || len(ts) != 1 || ts[0].ID != r2.ID {
		t.Fatalf("after_seq=%d: more=%v %v", a1.Seq, more, seqs(ts))
	}
}

func refusals(t *testing.T, j *journal.Journal) []journal.Record {
	recs, err := j.Range(time.Time{}, time.Time{}, journal.Filter{Types: []journal.Type{journal.TypeRefusedAction}})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func seqs(ts []alarms.Transition) []uint64 {
	var out []uint64
	for _, t := range ts {
		out = append(out, t.Seq)
	}
	return out
}

// TestHeartbeatWhenTheHeadMoves: with two centres sharing the alarm topic,
// the one the broker did not give a transition learns of it from the
// heartbeat's head. The head is published when it moves (within
// HeadEvery), not only every centre.heartbeat — here an hour, so only the
// moved head explains a second heartbeat.
func TestHeartbeatWhenTheHeadMoves(t *testing.T) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	var box inbox
	connect(t, broker.URL, "centre", box.handle)
	st := testSite(broker.URL)
	st.Centre.Heartbeat = site.Duration(time.Hour)
	e := startEdgeOf(t, st)
	testsupport.Eventually(t, 20*time.Second, "the first heartbeat", func() bool { _, ok := box.heartbeat(); return ok })
	if err := e.svc.Consume(context.Background(), []collectors.Point{{Site: "s1", Device: "pz-1", Signal: "alarm", Value: 1, Time: e.clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	r := box.find(t, "the raise on the alarm topic", func(tr alarms.Transition) bool { return tr.Device == "pz-1" && tr.Change == alarms.Raise })
	testsupport.Eventually(t, 20*time.Second, "a heartbeat with the raise's seq, before the hourly one", func() bool {
		hb, ok := box.heartbeat()
		return ok && hb.Online && hb.Seq >= r.Seq
	})
}
