package mqttout

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/alarms"
	"facmon/collectors"
	"facmon/collectors/mqtt"
	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func connect(t *testing.T, url, id string) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(50 * time.Millisecond).
		SetMaxReconnectInterval(200 * time.Millisecond)
	cl := paho.NewClient(o)
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s to %s: %v", id, url, tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	return cl
}

// inbox is a real subscriber's received messages.
type inbox struct {
	mu   sync.Mutex
	msgs []paho.Message
}

func (b *inbox) handle(_ paho.Client, m paho.Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, m)
}

func (b *inbox) all() []paho.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]paho.Message(nil), b.msgs...)
}

func subscribe(t *testing.T, url, id, topic string) *inbox {
	t.Helper()
	b := &inbox{}
	cl := connect(t, url, id)
	if tok := cl.Subscribe(topic, 1, b.handle); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", topic, tok.Error())
	}
	return b
}

func transitions() []alarms.Transition {
	r := alarms.Transition{ID: "zone-alarm/zone-3/1795766400000", Rule: "zone-alarm", Site: "demo", Area: "perimeter",
		Kind: "perimeter_zone", Device: "zone-3", Signal: "alarm", Severity: alarms.Critical,
		Message: "周界 3 号防区报警", Cite: "篇3·二十二·3", Change: alarms.Raise, Value: 1, Time: t0,
		ActiveSince: t0, From: alarms.Normal, To: alarms.ActiveUnacked, Labels: map[string]string{"zone": "3"}}
	a := r
	a.Change, a.From, a.To, a.By, a.Time = alarms.Ack, alarms.ActiveUnacked, alarms.ActiveAcked, "op1", t0.Add(5*time.Second)
	c := a
	c.Change, c.From, c.To, c.By, c.Time, c.Value = alarms.Clear, alarms.ActiveAcked, alarms.Normal, "", t0.Add(time.Minute), 0
	return []alarms.Transition{r, a, c}
}

// TestAlarmsReachRealSubscriber publishes a raise, ack and clear through
// the real collectors/mqtt Publisher to a real Mosquitto; a real
// subscriber gets each as JSON, at QoS 1, in order.
func TestAlarmsReachRealSubscriber(t *testing.T) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	sub := subscribe(t, broker.URL, "centre", "facmon/demo/alarm")
	pub := mqtt.NewPublisher(mqtt.PublisherOptions{Client: connect(t, broker.URL, "facmon-demo"), Site: "demo"})
	o, err := New(Options{Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	want := transitions()
	if err := o.Transitions(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	testsupport.Eventually(t, 10*time.Second, "subscriber gets 3 messages", func() bool { return len(sub.all()) == 3 })
	for i, m := range sub.all() {
		var got alarms.Transition
		if err := json.Unmarshal(m.Payload(), &got); err != nil {
			t.Fatalf("message %d: %v: %s", i, err, m.Payload())
		}
		if m.Qos() != 1 || m.Retained() || m.Topic() != "facmon/demo/alarm" {
			t.Fatalf("message %d: topic %s qos %d retained %v", i, m.Topic(), m.Qos(), m.Retained())
		}
		if !equalJSON(t, got, want[i]) {
			t.Fatalf("message %d:\n got %s\nwant %+v", i, m.Payload(), want[i])
		}
	}
}

func equalJSON(t *testing.T, a, b alarms.Transition) bool {
	t.Helper()
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestStatusRetained: the device-status forwarder collectors/mqtt offers
// (Publisher.StatusSink) leaves the current status retained, so a client
// that subscribes afterwards sees it at once.
func TestStatusRetained(t *testing.T) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	pub := mqtt.NewPublisher(mqtt.PublisherOptions{Client: connect(t, broker.URL, "facmon-demo"), Site: "demo"})
	pts := []collectors.Point{
		{Site: "demo", Device: "pump-1", Signal: collectors.StatusSignal, Value: float64(collectors.Online), Time: t0},
		{Site: "demo", Device: "pump-1", Signal: collectors.StatusSignal, Value: float64(collectors.Offline), Quality: collectors.Bad, Time: t0.Add(time.Second)},
	}
	if err := pub.StatusSink().Publish(context.Background(), pts); err != nil {
		t.Fatal(err)
	}
	late := subscribe(t, broker.URL, "late", "facmon/demo/status/+")
	testsupport.Eventually(t, 10*time.Second, "late subscriber gets the retained status", func() bool { return len(late.all()) == 1 })
	m := late.all()[0]
	var got mqtt.StatusMessage
	if err := json.Unmarshal(m.Payload(), &got); err != nil {
		t.Fatal(err)
	}
	if !m.Retained() || m.Topic() != "facmon/demo/status/pump-1" || got.Status != "offline" || !got.Time.Equal(t0.Add(time.Second)) {
		t.Fatalf("retained %v topic %s body %s", m.Retained(), m.Topic(), m.Payload())
	}
}

// TestDeadBroker: with the broker down a publish fails within the
// publisher's timeout, is counted, and publishing works again once the
// broker is back.
func TestDeadBroker(t *testing.T) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	pub := mqtt.NewPublisher(mqtt.PublisherOptions{Client: connect(t, broker.URL, "facmon-demo"), Site: "demo",
		Timeout: 300 * time.Millisecond})
	o, err := New(Options{Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	broker.Stop()
	start := time.Now()
	if err := o.Transitions(context.Background(), transitions()[:1]); err == nil {
		t.Fatal("publish to a stopped broker succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("failed publish took %v", d)
	}
	if got := testutil.ToFloat64(o.failed); got != 1 {
		t.Fatalf("failed = %v, want 1", got)
	}
	broker.Start(t)
	sub := subscribe(t, broker.URL, "centre", "facmon/demo/alarm")
	testsupport.Eventually(t, 20*time.Second, "publishing again after the broker is back", func() bool {
		_ = o.Transitions(context.Background(), transitions()[1:2])
		return len(sub.all()) > 0
	})
}

// jsonRecorder is a Publisher that marshals like the real one and keeps
// the bodies.
type jsonRecorder struct{ bodies []string }

func (r *jsonRecorder) AlarmTopic() string { return "facmon/demo/alarm" }

func (r *jsonRecorder) PublishJSON(_ context.Context, _ string, _ byte, _ bool, v any) error {
	b, err := json.Marshal(v)
	r.bodies = append(r.bodies, string(b))
	return err
}

// A float register can read NaN; the transition still goes out, value null.
func TestNaNValuePublishedAsNull(t *testing.T) {
	rec := &jsonRecorder{}
	o, _ := New(Options{Publisher: rec})
	tr := transitions()[0]
	tr.Value = math.NaN()
	if err := o.Transitions(context.Background(), []alarms.Transition{tr}); err != nil {
		t.Fatal(err)
	}
	if len(rec.bodies) != 1 || !strings.Contains(rec.bodies[0], `"value":null`) || !strings.Contains(rec.bodies[0], `"change":"raise"`) {
		t.Fatalf("bodies %q", rec.bodies)
	}
}
