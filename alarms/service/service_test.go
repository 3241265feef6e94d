package service

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/internal/site"
	"facmon/internal/testsupport"
)

var t0 = time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)

func testSite() *site.Site {
	zone := func(id string) site.Device {
		return site.Device{ID: id, Kind: "perimeter_zone", Area: "wall", Signals: []site.Signal{{Name: "alarm", Type: site.State}}}
	}
	return &site.Site{ID: "s", Timezone: "UTC", Location: time.UTC, Areas: []site.Area{{ID: "wall"}},
		Devices: []site.Device{zone("pz-1"), zone("pz-2")},
		Zones:   []site.Zone{{ID: "zone-1", Kind: site.Perimeter, Area: "wall", Devices: []string{"pz-1", "pz-2"}}}}
}

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

func testRuleSet(t *testing.T, s *site.Site) *rules.Set {
	t.Helper()
	f, err := rules.Parse("test.yaml", []byte(testRules))
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Validate([]*rules.File{f}, s)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// store stands in for the InfluxDB writer.
type store struct{ lines, points atomic.Int64 }

func (s *store) PublishLines(_ context.Context, ls [][]byte) error {
	s.lines.Add(int64(len(ls)))
	return nil
}

func (s *store) Publish(_ context.Context, b []collectors.Point) error {
	s.points.Add(int64(len(b)))
	return nil
}

// running is a Service running until stop.
type running struct {
	*Service
	stop func()
}

func start(t *testing.T, dir string) *running {
	t.Helper()
	st := testSite()
	s, err := New(Options{Site: st, Rules: testRuleSet(t, st), DataDir: dir, Store: &store{},
		Clock: testsupport.NewClock(t0).Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.Update(ctx, st, nil, Links{})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.Run(ctx); err != nil {
			t.Error(err)
		}
	})
	r := &running{Service: s, stop: sync.OnceFunc(func() { cancel(); wg.Wait() })}
	t.Cleanup(r.stop)
	return r
}

func (r *running) raise(t *testing.T, device string, at time.Time) string {
	t.Helper()
	if err := r.Consume(context.Background(), []collectors.Point{{Site: "s", Device: device, Signal: "alarm", Value: 1, Time: at}}); err != nil {
		t.Fatal(err)
	}
	var id string
	testsupport.Eventually(t, 20*time.Second, device+" raised", func() bool {
		for _, tr := range r.Board() {
			if tr.Device == device {
				id = tr.ID
				return true
			}
		}
		return false
	})
	return id
}

// TestAckAndHistoryFromTheJournal: an ack goes straight to the service and
// is journaled with its user; a second one is refused; the history, read
// from the journal, is the same after a restart, filtered and paged as the
// API asks.
func TestAckAndHistoryFromTheJournal(t *testing.T) {
	dir := t.TempDir()
	r := start(t, dir)
	if g := r.current(); g.mqtt != nil || g.status != nil {
		t.Fatal("MQTT outputs built for a site without MQTT")
	}
	id1 := r.raise(t, "pz-1", t0)
	id2 := r.raise(t, "pz-2", t0.Add(time.Second))
	bg := context.Background()
	if err := r.Ack(bg, id1, "op1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Ack(bg, id1, "op1", time.Time{}); !errors.Is(err, board.ErrNotAckable) {
		t.Fatalf("second ack: %v, want ErrNotAckable", err)
	}
	r.stop()

	r = start(t, dir)
	ts, more, err := r.History(bg, board.HistoryQuery{Limit: 100})
	if err != nil || more {
		t.Fatal(err, more)
	}
	var got []string
	for _, tr := range ts {
		got = append(got, tr.ID+" "+tr.Change.String()+" "+tr.By)
	}
	want := []string{id1 + " ack op1", id2 + " raise ", id1 + " raise "}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("history after restart:\n got %q\nwant %q", got, want)
	}
	ts, more, _ = r.History(bg, board.HistoryQuery{Device: []string{"pz-1"}, Limit: 1})
	if len(ts) != 1 || ts[0].Change != alarms.Ack || !more {
		t.Fatalf("pz-1, limit 1: %+v more %v", ts, more)
	}
	ts, _, _ = r.History(bg, board.HistoryQuery{From: t0.Add(500 * time.Millisecond), To: t0.Add(2 * time.Second)})
	if len(ts) != 1 || ts[0].ID != id2 {
		t.Fatalf("time window: %+v", ts)
	}
}

// point sends one value of device's alarm signal at.
func (r *running) point(t *testing.T, device string, v float64, at time.Time) {
	t.Helper()
	if err := r.Consume(context.Background(), []collectors.Point{{Site: "s", Device: device, Signal: "alarm", Value: v, Time: at}}); err != nil {
		t.Fatal(err)
	}
}

// occurrences returns the board's alarms of device, by id.
func (r *running) occurrences(device string) map[string]alarms.State {
	out := map[string]alarms.State{}
	for _, tr := range r.Board() {
		if tr.Device == device {
			out[tr.ID] = tr.To
		}
	}
	return out
}

// TestAckEveryOccurrenceOfAChatteringPoint: a zone that raises, clears and
// raises again leaves earlier occurrences on the board, cleared and
// unacknowledged, which the engine no longer tracks; acknowledging each
// (as acknowledging the console's group does) works, journaled with the
// user, and they latch like the latest one would.
func TestAckEveryOccurrenceOfAChatteringPoint(t *testing.T) {
	r := start(t, t.TempDir())
	for i := range 3 {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		r.point(t, "pz-1", 1, at)
		r.point(t, "pz-1", 0, at.Add(5*time.Second))
	}
	r.point(t, "pz-1", 1, t0.Add(time.Minute))
	testsupport.Eventually(t, 20*time.Second, "4 occurrences of pz-1", func() bool { return len(r.occurrences("pz-1")) == 4 })
	bg := context.Background()
	for id, st := range r.occurrences("pz-1") {
		if err := r.Ack(bg, id, "op1", time.Time{}); err != nil {
			t.Fatalf("ack %s (%s): %v", id, st, err)
		}
	}
	testsupport.Eventually(t, 20*time.Second, "every occurrence acknowledged", func() bool {
		for _, st := range r.occurrences("pz-1") {
			if st != alarms.Latched && st != alarms.ActiveAcked {
				return false
			}
		}
		return true
	})
	ts, _, err := r.History(bg, board.HistoryQuery{Device: []string{"pz-1"}})
	if err != nil {
		t.Fatal(err)
	}
	acks := 0
	for _, tr := range ts {
		if tr.Change == alarms.Ack && tr.By == "op1" {
			acks++
		}
	}
	if acks != 4 {
		t.Fatalf("%d acks by op1 in the journal, want 4", acks)
	}
}

// TestUpdateRebuildsOnOneRegistry: each Update (a reload) rebuilds the
// notifiers on the process's registry; the previous build's metrics are
// unregistered first, so registering them again does not panic, and the
// live build's are the ones registered.
func TestUpdateRebuildsOnOneRegistry(t *testing.T) {
	st := testSite()
	reg := prometheus.NewRegistry()
	s, err := New(Options{Site: st, Rules: testRuleSet(t, st), DataDir: t.TempDir(), Store: &store{},
		Clock: testsupport.NewClock(t0).Now, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	for range 3 {
		s.Update(ctx, st, nil, Links{})
		if s.current().notify == nil {
			t.Fatal("notifiers not built")
		}
		probe := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "facmon_notify_queued", Help: "Messages waiting in a receiver's queue."}, []string{"receiver"})
		var are prometheus.AlreadyRegisteredError
		if err := reg.Register(probe); !errors.As(err, &are) {
			t.Fatalf("the notifiers' metrics are not registered on the process's registry: %v", err)
		}
	}
}
