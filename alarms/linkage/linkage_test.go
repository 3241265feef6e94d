package linkage

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mb "github.com/simonvetter/modbus"

	"facmon/alarms"
	"facmon/alarms/dispatch"
	"facmon/alarms/engine"
	"facmon/alarms/lifecycle"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/collectors/modbus"
	"facmon/collectors/sim"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// memJournal keeps the journal in memory.
type memJournal struct {
	mu sync.Mutex
	es []lifecycle.Entry
}

func (j *memJournal) Append(_ context.Context, es ...lifecycle.Entry) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.es = append(j.es, es...)
	return uint64(len(j.es)), nil
}

func (j *memJournal) linkage() []lifecycle.Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []lifecycle.Entry
	for _, e := range j.es {
		if e.Type == lifecycle.Linkage {
			out = append(out, e)
		}
	}
	return out
}

// pipeline is the demo community's engine, lifecycle and linkage, the
// transitions handed to linkage as the dispatcher would.
type pipeline struct {
	t   *testing.T
	mu  sync.Mutex // guards now: the dispatcher's goroutine reads the clock
	now time.Time
	eng *engine.Engine
	m   *lifecycle.Manager
	j   *memJournal
}

// demo loads the demo site and its rule pack.
func demo(t *testing.T) (*site.Site, *rules.Set) {
	t.Helper()
	s, err := site.Load("../../seeds/sites/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.ForSite("../../seeds/sites/demo.yaml", s)
	if err != nil {
		t.Fatal(err)
	}
	return s, set
}

func newPipeline(t *testing.T, set *rules.Set, w Writer) *pipeline {
	t.Helper()
	return newPipelineWith(t, set, w, nil)
}

// newPipelineWith is newPipeline with an MQTT publisher too.
func newPipelineWith(t *testing.T, set *rules.Set, w Writer, pub Publisher) *pipeline {
	t.Helper()
	p := &pipeline{t: t, now: time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC), j: &memJournal{}}
	p.eng = engine.New(engine.Options{Rules: set})
	l := &lazy{}
	disp, err := dispatch.New(dispatch.Options{Targets: []dispatch.Target{{Name: "linkage", Output: l}}})
	if err != nil {
		t.Fatal(err)
	}
	p.m, err = lifecycle.New(lifecycle.Options{Site: set.Site, Latched: lifecycle.LatchedRules(set), Journal: p.j,
		Clock: p.clock, Output: disp})
	if err != nil {
		t.Fatal(err)
	}
	l.l, err = New(Options{Rules: func() *rules.Set { return set }, Writer: func() Writer { return w },
		Publisher: func() Publisher { return pub }, Recorder: p.m, Clock: p.clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { disp.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	p.eng.SetGate(p.m.Gate, p.clock())
	return p
}

// lazy lets the Linkage be built after the Manager it records through.
type lazy struct{ l *Linkage }

func (z *lazy) Transitions(ctx context.Context, ts []alarms.Transition) error {
	return z.l.Transitions(ctx, ts)
}

func (p *pipeline) clock() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

// point sends one value and advances the clock by d first.
func (p *pipeline) point(d time.Duration, device, signal string, v float64) {
	p.t.Helper()
	p.mu.Lock()
	p.now = p.now.Add(d)
	now := p.now
	p.mu.Unlock()
	ts := p.eng.Process([]collectors.Point{{Site: "demo", Device: device, Signal: signal, Value: v, Time: now}})
	if err := p.m.Transitions(context.Background(), ts); err != nil {
		p.t.Fatal(err)
	}
}

// simulator starts the demo's Modbus gateways and a real Modbus collector
// polling them; it returns the collector and the gateways' addresses.
func simulator(t *testing.T, s *site.Site) (*modbus.Collector, map[string]string) {
	t.Helper()
	sm, err := sim.New(sim.Options{Site: s, ListenAny: true, BrokerURL: "tcp://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sm.Close)
	addrs := sm.Addrs()
	sim.UseAddrs(s, addrs)
	c, err := modbus.New(modbus.Options{Site: s, Sink: collectors.SinkFunc(func(context.Context, []collectors.Point) error { return nil })})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return c, addrs
}

// readCoil reads a coil back over Modbus TCP with a separate master.
func readCoil(t *testing.T, addr string, unit uint8, coil uint16) bool {
	t.Helper()
	cl, err := mb.NewClient(&mb.ClientConfiguration{URL: "tcp://" + addr, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Open(); err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.SetUnitId(unit)
	v, err := cl.ReadCoil(coil)
	if err != nil {
		t.Fatalf("read coil %d of unit %d at %s: %v", coil, unit, addr, err)
	}
	return v
}

// TestAgainstSimulator: an intrusion on zone 3 (east-wall-1) turns on its
// floodlight (coil 2 of perimeter-io unit 1), read back over Modbus; low
// fountain water stops the fountain pump (coil 30 of pump-room-plc unit 1)
// and its clear puts it back to auto. Each write is journaled with "ok".
func TestAgainstSimulator(t *testing.T) {
	s, set := demo(t)
	c, addrs := simulator(t, s)
	p := newPipeline(t, set, c)
	if readCoil(t, addrs["perimeter-io"], 1, 2) {
		t.Fatal("floodlight-east-1 on before any intrusion")
	}
	p.point(0, "east-wall-1", "alarm", 1)
	testsupport.Eventually(t, 10*time.Second, "floodlight-east-1 on", func() bool { return readCoil(t, addrs["perimeter-io"], 1, 2) })
	if readCoil(t, addrs["perimeter-io"], 1, 0) {
		t.Fatal("floodlight-north-1 switched on by an intrusion on the east wall")
	}

	p.point(time.Second, "fountain-1", "low_level", 1)
	p.point(11*time.Second, "fountain-1", "low_level", 1)
	testsupport.Eventually(t, 10*time.Second, "fountain pump stopped", func() bool { return readCoil(t, addrs["pump-room-plc"], 1, 30) })
	p.point(time.Second, "fountain-1", "low_level", 0)
	testsupport.Eventually(t, 10*time.Second, "fountain pump back to auto", func() bool { return !readCoil(t, addrs["pump-room-plc"], 1, 30) })
	testsupport.Eventually(t, 10*time.Second, "three journaled writes", func() bool { return len(p.j.linkage()) == 3 })
	for _, e := range p.j.linkage() {
		if e.Reason != "ok" {
			t.Fatalf("linkage entry %+v: want result ok", e)
		}
	}
}

// failing is a Writer whose writes fail.
type failing struct{}

func (failing) WriteCoil(context.Context, string, string, bool) error {
	return errors.New("modbus: perimeter-io: i/o timeout")
}
func (failing) WriteRegister(context.Context, string, string, float64) error {
	return errors.New("modbus: i/o timeout")
}

// TestFailedWriteRaisesAlarm: the failure is journaled and raises a
// linkage-failed alarm, which an acknowledgement returns to normal.
func TestFailedWriteRaisesAlarm(t *testing.T) {
	_, set := demo(t)
	p := newPipeline(t, set, failing{})
	p.point(0, "east-wall-1", "alarm", 1)
	var id string
	testsupport.Eventually(t, 10*time.Second, "linkage-failed alarm", func() bool {
		for _, a := range p.m.Board() {
			if a.Rule == lifecycle.LinkageFailedRule && a.Device == "floodlight-east-1" {
				id = a.ID
				return true
			}
		}
		return false
	})
	es := p.j.linkage()
	if len(es) != 1 || !strings.HasPrefix(es[0].Reason, "failed: ") || es[0].Subject != "floodlight-east-1" {
		t.Fatalf("journal: %+v", es)
	}
	if ok, err := p.m.AckEvent(context.Background(), id, "op"); !ok || err != nil {
		t.Fatalf("ack of the linkage alarm: %v %v", ok, err)
	}
	for _, a := range p.m.Board() {
		if a.ID == id {
			t.Fatalf("linkage alarm still on the board after ack: %s", a.To)
		}
	}
}

// TestDisabled: with linkage off in the site file nothing is written; the
// skipped action is journaled.
func TestDisabled(t *testing.T) {
	_, set := demo(t)
	off := false
	set.Site.Linkage.Enabled = &off
	p := newPipeline(t, set, failing{})
	p.point(0, "east-wall-1", "alarm", 1)
	testsupport.Eventually(t, 10*time.Second, "skipped entry", func() bool { return len(p.j.linkage()) == 1 })
	if e := p.j.linkage()[0]; !strings.HasPrefix(e.Reason, "skipped") {
		t.Fatalf("entry %+v", e)
	}
	for _, a := range p.m.Board() {
		if a.Rule == lifecycle.LinkageFailedRule {
			t.Fatal("a disabled action raised a failure alarm")
		}
	}
}

// TestFloodlightOffAfterHold: the wall section's floodlight goes on with
// the intrusion and off 2 minutes after the zone went quiet, when the
// perimeter alarm clears (篇3·二十二·1), read back over Modbus; both writes
// are journaled.
func TestFloodlightOffAfterHold(t *testing.T) {
	s, set := demo(t)
	c, addrs := simulator(t, s)
	p := newPipeline(t, set, c)
	p.point(0, "east-wall-1", "alarm", 1)
	testsupport.Eventually(t, 10*time.Second, "floodlight-east-1 on", func() bool { return readCoil(t, addrs["perimeter-io"], 1, 2) })
	p.point(time.Second, "east-wall-1", "alarm", 0)
	p.point(119*time.Second, "east-wall-1", "alarm", 0)
	testsupport.Eventually(t, 10*time.Second, "one journaled write", func() bool { return len(p.j.linkage()) == 1 })
	if !readCoil(t, addrs["perimeter-io"], 1, 2) {
		t.Fatal("floodlight-east-1 off before the 2 minutes are up")
	}
	p.point(time.Second, "east-wall-1", "alarm", 0)
	testsupport.Eventually(t, 10*time.Second, "floodlight-east-1 off", func() bool { return !readCoil(t, addrs["perimeter-io"], 1, 2) })
	testsupport.Eventually(t, 10*time.Second, "two journaled writes", func() bool { return len(p.j.linkage()) == 2 })
}

// published records the MQTT commands.
type published struct {
	mu   sync.Mutex
	msgs []string
}

func (p *published) PublishJSON(_ context.Context, topic string, _ byte, _ bool, v any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, _ := json.Marshal(v)
	p.msgs = append(p.msgs, topic+" "+string(b))
	return nil
}

func (p *published) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.msgs)
}

// TestFireReleasesDoors: a fire alarm publishes the release of every
// access-controlled door to the panel's access controller (篇3·十六·5 /
// 十七·2), and the action is journaled.
func TestFireReleasesDoors(t *testing.T) {
	_, set := demo(t)
	pub := &published{}
	p := newPipelineWith(t, set, failing{}, pub)
	p.point(0, "fire-panel-1", "fire_alarm", 1)
	testsupport.Eventually(t, 10*time.Second, "release published", func() bool { return len(pub.all()) == 1 })
	if got, want := pub.all()[0], `estate/access/access-controller-1/set {"release_all":1,"by":"fire-alarm"}`; got != want {
		t.Fatalf("published %s, want %s", got, want)
	}
	testsupport.Eventually(t, 10*time.Second, "journaled", func() bool { return len(p.j.linkage()) == 1 })
	if e := p.j.linkage()[0]; e.Reason != "ok" || !strings.HasPrefix(e.Subject, "estate/access/") {
		t.Fatalf("journal entry %+v", e)
	}
}
