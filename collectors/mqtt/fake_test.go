package mqtt

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/collectors"
	"facmon/internal/site"
)

// doneToken is a completed paho.Token.
type doneToken struct{ err error }

var closedCh = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (doneToken) Wait() bool                     { return true }
func (doneToken) WaitTimeout(time.Duration) bool { return true }
func (doneToken) Done() <-chan struct{}          { return closedCh }
func (t doneToken) Error() error                 { return t.err }

// fakeMsg is a paho.Message that records its ack.
type fakeMsg struct {
	topic    string
	payload  []byte
	retained bool
	acked    atomic.Bool
	onAck    func()
}

func (m *fakeMsg) Duplicate() bool   { return false }
func (m *fakeMsg) Qos() byte         { return 1 }
func (m *fakeMsg) Retained() bool    { return m.retained }
func (m *fakeMsg) Topic() string     { return m.topic }
func (m *fakeMsg) MessageID() uint16 { return 1 }
func (m *fakeMsg) Payload() []byte   { return m.payload }
func (m *fakeMsg) Ack() {
	m.acked.Store(true)
	if m.onAck != nil {
		m.onAck()
	}
}

// fakeClient stands in for paho in unit tests: Connect "connects" at once
// and the test delivers messages through the options' default handler.
type fakeClient struct {
	opts *paho.ClientOptions
	mu   sync.Mutex
	subs map[string]byte
	pubs []fakePub
}

type fakePub struct {
	topic    string
	qos      byte
	retained bool
	body     []byte
}

func (f *fakeClient) Connect() paho.Token {
	go f.opts.OnConnect(nil)
	return doneToken{}
}
func (f *fakeClient) Disconnect(uint)        {}
func (f *fakeClient) IsConnectionOpen() bool { return true }
func (f *fakeClient) SubscribeMultiple(filters map[string]byte, _ paho.MessageHandler) paho.Token {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs = filters
	return doneToken{}
}
func (f *fakeClient) Publish(topic string, qos byte, retained bool, payload any) paho.Token {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pubs = append(f.pubs, fakePub{topic, qos, retained, payload.([]byte)})
	return doneToken{}
}

// deliver hands a message to the collector as paho would.
func (f *fakeClient) deliver(topic, payload string) *fakeMsg {
	m := &fakeMsg{topic: topic, payload: []byte(payload)}
	f.opts.DefaultPublishHandler(nil, m)
	return m
}

// deliverRetained hands over a retained message, as sent on subscribe.
func (f *fakeClient) deliverRetained(topic, payload string) *fakeMsg {
	m := &fakeMsg{topic: topic, payload: []byte(payload), retained: true}
	f.opts.DefaultPublishHandler(nil, m)
	return m
}

// memSink collects points; fail makes Publish fail that many times.
type memSink struct {
	mu     sync.Mutex
	points []collectors.Point
	fail   int
	calls  int
}

func (s *memSink) Publish(_ context.Context, b []collectors.Point) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail > 0 {
		s.fail--
		return errSinkDown
	}
	s.points = append(s.points, b...)
	return nil
}

func (s *memSink) snapshot() []collectors.Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]collectors.Point(nil), s.points...)
}

type sinkErr string

func (e sinkErr) Error() string { return string(e) }

const errSinkDown = sinkErr("spool: disk full")

func ptr[T any](v T) *T { return &v }

// testSite is a small community with one device per payload style.
func testSite(url string) *site.Site {
	minute := site.Duration(time.Minute)
	return &site.Site{ID: "demo", Areas: []site.Area{{ID: "east", Name: "东区"}}, MQTT: site.MQTT{URL: url, Subscriptions: []site.Subscription{
		{Topic: "estate/{area}/tank/{device}/level", QoS: 1, Format: "plain", Signal: "level"},
		{Topic: "estate/bins/{device}", QoS: 1, Format: "json", Time: "ts"},
		{Topic: "estate/rooms/{device}/{signal}", QoS: 1, Format: "plain"},
		{Topic: "estate/lp/#", QoS: 1, Format: "influx"},
		{Topic: "estate/doors/+/state", QoS: 1, Format: "json", Device: "door-1", Signal: "open"},
	}},
		Devices: []site.Device{
			{ID: "tank-1", Kind: "water_tank", Area: "pump-room", MQTT: &site.DeviceMQTT{Timeout: minute},
				Signals: []site.Signal{{Name: "level", Type: site.Analog, Unit: "m", Scale: ptr(0.01)}}},
			{ID: "bin-1", Name: "东区垃圾桶1", Kind: "bin", Area: "east", MQTT: &site.DeviceMQTT{Timeout: minute}, Signals: []site.Signal{
				{Name: "fill", Type: site.Analog, Unit: "%", MQTT: &site.SignalMQTT{Path: "data.fill"}},
				{Name: "lid", Type: site.State, States: map[int]string{0: "closed", 1: "open"}},
				{Name: "tilt", Type: site.State}}},
			{ID: "room-1", Kind: "equipment_room", Area: "b1", MQTT: &site.DeviceMQTT{}, Signals: []site.Signal{
				{Name: "temperature", Type: site.Analog, Unit: "°C"}, {Name: "flood", Type: site.State}}},
			{ID: "door-1", Kind: "door", Area: "gate", Signals: []site.Signal{{Name: "open", Type: site.State}}},
			{ID: "pump-1", Kind: "pump", Area: "pump-room", Signals: []site.Signal{{Name: "running", Type: site.State}, {Name: "current", Type: site.Analog, Unit: "A"}}},
		}}
}

// newFakeCollector builds a collector on a fake client with a fixed clock.
func newFakeCollector(t *testing.T, sink collectors.Sink, now func() time.Time) (*Collector, *fakeClient) {
	t.Helper()
	fc := &fakeClient{}
	c, err := New(Options{Site: testSite("tcp://fake:1883"), Sink: sink, Now: now,
		Factory: func(o *paho.ClientOptions) Client { fc.opts = o; return fc }})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, fc
}
