package mqtt

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/collectors"
)

// runFake runs a collector on a fake client inside the synctest bubble and
// stops it when the test function returns.
func runFake(t *testing.T, sink collectors.Sink, reg prometheus.Registerer) (*Collector, *fakeClient, func()) {
	t.Helper()
	fc := &fakeClient{}
	c, err := New(Options{Site: testSite("tcp://fake:1883"), Sink: sink, Registerer: reg,
		Factory: func(o *paho.ClientOptions) Client { fc.opts = o; return fc }})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	synctest.Wait()
	return c, fc, func() { cancel(); <-done }
}

func TestAckOnlyAfterSinkAccepts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &memSink{fail: 2}
		reg := prometheus.NewRegistry()
		c, fc, stop := runFake(t, sink, reg)
		defer stop()
		m1 := fc.deliver("estate/pump-room/tank/tank-1/level", "100")
		m2 := fc.deliver("estate/rooms/room-1/temperature", "21.5")
		synctest.Wait()
		if m1.acked.Load() || m2.acked.Load() {
			t.Fatal("acked while the sink refuses the batch")
		}
		time.Sleep(time.Second) // fake time: the retries run
		synctest.Wait()
		if !m1.acked.Load() || !m2.acked.Load() {
			t.Fatal("not acked after the sink accepted")
		}
		if got := len(sink.snapshot()); got != 4 { // 2 values + 2 status points
			t.Errorf("sink has %d points, want 4: %+v", got, sink.snapshot())
		}
		if v := testutil.ToFloat64(c.metrics.sinkErrors); v != 2 {
			t.Errorf("sink errors = %v, want 2", v)
		}
		if v := testutil.ToFloat64(c.metrics.acked); v != 2 {
			t.Errorf("acked = %v, want 2", v)
		}
	})
}

func TestSubscribesOnConnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, fc, stop := runFake(t, &memSink{}, nil)
		defer stop()
		fc.mu.Lock()
		defer fc.mu.Unlock()
		want := map[string]byte{"estate/+/tank/+/level": 1, "estate/bins/+": 1, "estate/rooms/+/+": 1, "estate/lp/#": 1, "estate/doors/+/state": 1}
		if len(fc.subs) != len(want) {
			t.Fatalf("subscribed %v, want %v", fc.subs, want)
		}
		for f, q := range want {
			if fc.subs[f] != q {
				t.Errorf("filter %q qos %d, want %d", f, fc.subs[f], q)
			}
		}
		if !fc.opts.AutoAckDisabled || fc.opts.CleanSession || fc.opts.ClientID != "facmon-demo" || !fc.opts.Order {
			t.Errorf("options: autoAckDisabled=%v cleanSession=%v clientID=%q order=%v",
				fc.opts.AutoAckDisabled, fc.opts.CleanSession, fc.opts.ClientID, fc.opts.Order)
		}
	})
}

func TestMalformedPayloadAckedAndCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &memSink{}
		c, fc, stop := runFake(t, sink, nil)
		defer stop()
		m := fc.deliver("estate/bins/bin-1", `{"data":{"fill":`)
		u := fc.deliver("estate/bins/bin-7", `{"data":{"fill":1}}`)
		synctest.Wait()
		if !m.acked.Load() || !u.acked.Load() {
			t.Error("malformed or unknown message not acked (it would be redelivered forever)")
		}
		if v := testutil.ToFloat64(c.metrics.payloadErrors.WithLabelValues("syntax")); v != 1 {
			t.Errorf("payload errors{syntax} = %v", v)
		}
		if v := testutil.ToFloat64(c.metrics.unknown.WithLabelValues("device")); v != 1 {
			t.Errorf("unknown{device} = %v", v)
		}
		pts := sink.snapshot()
		if len(pts) != 1 || pts[0].Signal != collectors.StatusSignal || collectors.DeviceStatus(pts[0].Value) != collectors.Fault {
			t.Errorf("points = %+v, want one fault status point", pts)
		}
	})
}

func TestDeviceStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &memSink{}
		c, fc, stop := runFake(t, sink, nil)
		defer stop()
		start := time.Now()
		type step struct {
			at      time.Duration // since start
			topic   string        // "" = no message
			body    string
			want    collectors.DeviceStatus
			changed bool
		}
		steps := []step{
			{0, "estate/bins/bin-1", `{"data":{"fill":1}}`, collectors.Online, true},
			{30 * time.Second, "estate/bins/bin-1", `{"data":{"fill":2}}`, collectors.Online, false},
			{60 * time.Second, "estate/bins/bin-1", `garbage`, collectors.Fault, true},
			{70 * time.Second, "estate/bins/bin-1", `{"data":{"fill":3}}`, collectors.Online, true},
			{120 * time.Second, "", "", collectors.Online, false},
			{150 * time.Second, "", "", collectors.Offline, true},
			{200 * time.Second, "", "", collectors.Offline, false},
			{201 * time.Second, "estate/bins/bin-1", `{"data":{"fill":4}}`, collectors.Online, true},
		}
		seen := 0
		for _, s := range steps {
			time.Sleep(start.Add(s.at).Sub(time.Now()))
			if s.topic != "" {
				fc.deliver(s.topic, s.body)
			}
			synctest.Wait()
			st := statusOf(c, "bin-1")
			if st.Status != s.want {
				t.Fatalf("t=%v: status %v, want %v", s.at, st.Status, s.want)
			}
			n := countStatus(sink.snapshot(), "bin-1")
			if changed := n > seen; changed != s.changed {
				t.Errorf("t=%v: status point emitted=%v, want %v", s.at, changed, s.changed)
			}
			seen = n
		}
	})
}

func statusOf(c *Collector, dev string) DeviceState {
	for _, s := range c.Status() {
		if s.Device == dev {
			return s
		}
	}
	return DeviceState{}
}

func countStatus(pts []collectors.Point, dev string) int {
	n := 0
	for _, p := range pts {
		if p.Device == dev && p.Signal == collectors.StatusSignal {
			n++
		}
	}
	return n
}

func TestHandlerReturnsAfterStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := &fakeClient{}
		c, err := New(Options{Site: testSite("tcp://fake:1883"), Sink: &memSink{}, QueueSize: 1,
			Factory: func(o *paho.ClientOptions) Client { fc.opts = o; return fc }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_ = c.Run(ctx)
		// The queue holds one; more would block forever without the stop.
		for range 3 {
			if m := fc.deliver("estate/bins/bin-1", `{}`); m.acked.Load() {
				t.Error("acked a message after stop")
			}
		}
	})
}

func TestPublisher(t *testing.T) {
	fc := &fakeClient{}
	p := NewPublisher(PublisherOptions{Client: fc, Site: "demo"})
	at := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	if err := p.PublishStatus(t.Context(), "bin-1", collectors.Offline, at, ""); err != nil {
		t.Fatal(err)
	}
	if err := p.PublishJSON(t.Context(), p.AlarmTopic(), 1, false, map[string]string{"rule": "tank-low"}); err != nil {
		t.Fatal(err)
	}
	if len(fc.pubs) != 2 {
		t.Fatalf("published %d", len(fc.pubs))
	}
	s := fc.pubs[0]
	var msg StatusMessage
	if err := json.Unmarshal(s.body, &msg); err != nil {
		t.Fatal(err)
	}
	if s.topic != "facmon/demo/status/bin-1" || !s.retained || s.qos != 1 || msg.Status != "offline" || !msg.Time.Equal(at) {
		t.Errorf("status publish = %+v %+v", s, msg)
	}
	if a := fc.pubs[1]; a.topic != "facmon/demo/alarm" || a.retained || a.qos != 1 {
		t.Errorf("alarm publish = %+v", a)
	}
}

// TestDecoderPanicSkipsMessage: a panic while decoding (wire data is
// untrusted) is counted, the message is acked and skipped, and the
// collector goes on with the next one.
func TestDecoderPanicSkipsMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &memSink{}
		c, fc, stop := runFake(t, sink, nil)
		defer stop()
		c.m.routes[len(c.m.routes)-1].pat = nil // the doors route now dereferences nil
		bad := fc.deliver("estate/doors/gate/state", "true")
		good := fc.deliver("estate/rooms/room-1/temperature", "21")
		synctest.Wait()
		if !bad.acked.Load() || !good.acked.Load() {
			t.Fatal("messages not acked after a decoder panic")
		}
		if v := testutil.ToFloat64(c.metrics.payloadErrors.WithLabelValues("panic")); v != 1 {
			t.Errorf("payload errors{panic} = %v, want 1", v)
		}
		var temps int
		for _, p := range sink.snapshot() {
			if p.Signal == "temperature" {
				temps++
			}
		}
		if temps != 1 {
			t.Errorf("the next message's point is missing: %+v", sink.snapshot())
		}
	})
}

// TestRetainedMessageIsStale: a retained value without a device timestamp
// may be old, so it is stored Uncertain, and it does not make the device
// online; with a device timestamp it is a good value at that time.
func TestRetainedMessageIsStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &memSink{}
		c, fc, stop := runFake(t, sink, nil)
		defer stop()
		fc.deliverRetained("estate/pump-room/tank/tank-1/level", "100")
		fc.deliverRetained("estate/bins/bin-1", `{"data":{"fill":5},"ts":1795755598}`)
		synctest.Wait()
		pts := sink.snapshot()
		if len(pts) != 2 {
			t.Fatalf("points = %+v, want the two values and no status", pts)
		}
		if pts[0].Quality != collectors.Uncertain || pts[1].Quality != collectors.Good {
			t.Errorf("qualities = %v, %v; want uncertain (no timestamp), good (device time)", pts[0].Quality, pts[1].Quality)
		}
		if st := statusOf(c, "tank-1"); st.Known {
			t.Errorf("a retained message set tank-1 %v", st.Status)
		}
	})
}

func TestBehindIsCalledForABacklogOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := &fakeClient{}
		sink := &memSink{}
		behind := 0
		c, err := New(Options{Site: testSite("tcp://fake:1883"), Sink: sink, MaxBatch: 8, Behind: func() { behind++ },
			Factory: func(o *paho.ClientOptions) Client { fc.opts = o; return fc }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { _ = c.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		synctest.Wait()

		for range 20 { // a steady stream: one message at a time
			fc.deliver("estate/pump-room/tank/tank-1/level", "100")
			synctest.Wait()
		}
		if behind != 0 {
			t.Fatalf("Behind called %d times for single messages", behind)
		}

		sink.mu.Lock() // the sink stalls: messages pile up in the queue
		for range 12 {
			fc.deliver("estate/pump-room/tank/tank-1/level", "100")
		}
		sink.mu.Unlock()
		synctest.Wait()
		if behind != 1 {
			t.Fatalf("Behind called %d times for one backlog of 12 (MaxBatch 8), want once", behind)
		}
	})
}
