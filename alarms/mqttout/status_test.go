package mqttout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"facmon/collectors"
	"facmon/collectors/mqtt"
	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

func statusPoint(dev string, s collectors.DeviceStatus, sec int) collectors.Point {
	return collectors.Point{Site: "demo", Device: dev, Signal: collectors.StatusSignal, Value: float64(s),
		Time: t0.Add(time.Duration(sec) * time.Second)}
}

// flakyPublisher fails while down is set and records what it published.
type flakyPublisher struct {
	mu   sync.Mutex
	down bool
	log  []string
}

func (p *flakyPublisher) PublishStatus(_ context.Context, dev string, s collectors.DeviceStatus, at time.Time, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return errors.New("not connected")
	}
	p.log = append(p.log, fmt.Sprintf("%s=%s@%d", dev, s, at.Sub(t0)/time.Second))
	return nil
}

func (p *flakyPublisher) setDown(v bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = v
}

func (p *flakyPublisher) got() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.log, " ")
}

// TestStatusForwarderCoalescesAndBacksOff: while publishing fails the
// forwarder waits 1 s, 2 s, 4 s … (capped), keeps only each device's
// newest status, and publishes it once the publisher recovers.
func TestStatusForwarderCoalescesAndBacksOff(t *testing.T) {
	pub := &flakyPublisher{down: true}
	waits := make(chan time.Duration)
	fire := make(chan time.Time)
	f, err := NewStatusForwarder(StatusOptions{Publisher: pub, RetryMax: 4 * time.Second,
		After: func(d time.Duration) <-chan time.Time { waits <- d; return fire }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = f.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	_ = f.Publish(ctx, []collectors.Point{statusPoint("pump-1", collectors.Online, 0),
		{Device: "pump-1", Signal: "running", Value: 1}})
	var got []time.Duration
	for i := range 4 {
		got = append(got, <-waits)
		if i == 1 { // newer statuses arrive while the broker is down
			_ = f.Publish(ctx, []collectors.Point{statusPoint("pump-1", collectors.Offline, 5),
				statusPoint("meter-1", collectors.Fault, 6), statusPoint("pump-1", collectors.Fault, 7)})
		}
		if i == 3 {
			pub.setDown(false)
		}
		fire <- time.Time{}
	}
	if fmt.Sprint(got) != "[1s 2s 4s 4s]" {
		t.Fatalf("waits %v, want [1s 2s 4s 4s]", got)
	}
	testsupport.Eventually(t, 5*time.Second, "published after recovery", func() bool { return pub.got() != "" && len(strings.Fields(pub.got())) == 2 })
	if pub.got() != "pump-1=fault@7 meter-1=fault@6" {
		t.Fatalf("published %q, want only the newest status per device", pub.got())
	}
}

// TestStatusForwarderRealBroker: statuses produced while Mosquitto is
// down end up retained, newest per device, once it is back.
func TestStatusForwarderRealBroker(t *testing.T) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	pub := mqtt.NewPublisher(mqtt.PublisherOptions{Client: connect(t, broker.URL, "facmon-demo"), Site: "demo",
		Timeout: 300 * time.Millisecond})
	f, err := NewStatusForwarder(StatusOptions{Publisher: pub, RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = f.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	_ = f.Publish(ctx, []collectors.Point{statusPoint("pump-1", collectors.Online, 0)})
	first := subscribe(t, broker.URL, "first", "facmon/demo/status/#")
	testsupport.Eventually(t, 10*time.Second, "online retained", func() bool { return len(first.all()) == 1 })

	broker.Stop()
	_ = f.Publish(ctx, []collectors.Point{statusPoint("pump-1", collectors.Offline, 1), statusPoint("tank-1", collectors.Offline, 2)})
	_ = f.Publish(ctx, []collectors.Point{statusPoint("pump-1", collectors.Fault, 3)})
	broker.Start(t)

	watch := subscribe(t, broker.URL, "watch", "facmon/demo/status/#")
	testsupport.Eventually(t, 20*time.Second, "the newest statuses reach the broker", func() bool {
		st := statuses(watch, false)
		return st["pump-1"] == "fault" && st["tank-1"] == "offline"
	})
	late := subscribe(t, broker.URL, "late", "facmon/demo/status/#")
	testsupport.Eventually(t, 10*time.Second, "a late subscriber gets them retained", func() bool {
		st := statuses(late, true)
		return st["pump-1"] == "fault" && st["tank-1"] == "offline"
	})
}

// statuses is the last status per device in b (only retained messages if
// asked).
func statuses(b *inbox, retainedOnly bool) map[string]string {
	out := map[string]string{}
	for _, m := range b.all() {
		var sm mqtt.StatusMessage
		if (m.Retained() || !retainedOnly) && json.Unmarshal(m.Payload(), &sm) == nil {
			out[sm.Device] = sm.Status
		}
	}
	return out
}
