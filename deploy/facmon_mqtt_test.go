package deploy

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"facmon/collectors"
	fmqtt "facmon/collectors/mqtt"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// pointSink hands the collector's points to the test.
type pointSink struct {
	testsupport.Points
}

// find is the first point of device and signal.
func (s *pointSink) find(device, signal string) (collectors.Point, bool) {
	if ps := s.Find(device, signal); len(ps) > 0 {
		return ps[0], true
	}
	return collectors.Point{}, false
}

// exampleSiteAt loads deploy/facmon/site.yaml with its broker URL pointed
// at the test broker and facmon's MQTT password from create.sh.
func exampleSiteAt(t *testing.T, b *brokerUnderTest) *site.Site {
	t.Helper()
	text, err := os.ReadFile("facmon/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yml := string(text)
	for _, swap := range [][2]string{
		{"url: ssl://mosquitto:8883", "url: " + b.URL},
		{"ca_file: /run/secrets/tls_ca_crt", "ca_file: " + b.CAFile},
	} {
		if !strings.Contains(yml, swap[0]) {
			t.Fatalf("facmon/site.yaml: no %q", swap[0])
		}
		yml = strings.Replace(yml, swap[0], swap[1], 1)
	}
	t.Setenv(site.EnvMetricsToken, "unused-scrape-token-of-32-bytes-or-more")
	t.Setenv(site.EnvInfluxToken, "unused")
	t.Setenv(site.EnvMQTTPassword, b.password(t, "facmon_mqtt_password"))
	s, err := site.Parse("facmon/site.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFacmonMQTTThroughDeployBroker runs facmon's MQTT collector and
// publisher, configured by the example site file, against Mosquitto with
// the deploy config: the ACL must let a device's readings in and facmon's
// status and alarm messages out.
func TestFacmonMQTTThroughDeployBroker(t *testing.T) {
	b := startDeployBroker(t, "tank-sensor-1")
	s := exampleSiteAt(t, b)
	sink := &pointSink{}
	c, err := fmqtt.New(fmqtt.Options{Site: s, Sink: sink, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	device, err := b.connect(t, "tank-sensor-1", b.password(t, "devices/tank-sensor-1.password"))
	if err != nil {
		t.Fatal(err)
	}
	topic := "estate/roof/water_tank/tank-sensor-1/level"
	p := waitPoint(t, sink, device, topic)
	if p.Value != 87.5 || p.Site != s.ID {
		t.Errorf("point %+v, want site %s value 87.5", p, s.ID)
	}
	checkFacmonPublishes(t, b, c.Publisher())
}

// waitPoint publishes a reading as the device until the collector has it
// (the collector subscribes once connected, so early ones may be missed).
func waitPoint(t *testing.T, sink *pointSink, device paho.Client, topic string) collectors.Point {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		publishPayload(t, device, topic, "87.5", false)
		if p, ok := sink.find("tank-sensor-1", "level"); ok {
			return p
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the collector never got %s through the deploy broker", topic)
	return collectors.Point{}
}

func publishPayload(t testing.TB, c paho.Client, topic, payload string, retained bool) {
	t.Helper()
	tok := c.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// checkFacmonPublishes has facmon's publisher send a device status and an
// alarm, and a reader with facmon's credentials receive both.
func checkFacmonPublishes(t *testing.T, b *brokerUnderTest, pub *fmqtt.Publisher) {
	t.Helper()
	reader, err := b.connect(t, "facmon", b.password(t, "facmon_mqtt_password"))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 16)
	tok := reader.Subscribe("facmon/#", 1, func(_ paho.Client, m paho.Message) { got <- m.Topic() })
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe facmon/#: %v", tok.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pub.PublishStatus(ctx, "tank-sensor-1", collectors.Online, time.Now(), ""); err != nil {
		t.Fatalf("PublishStatus: %v", err)
	}
	if err := pub.PublishJSON(ctx, pub.AlarmTopic(), 1, false, map[string]string{"rule": "fire-water-low"}); err != nil {
		t.Fatalf("PublishJSON alarm: %v", err)
	}
	want := map[string]bool{pub.StatusTopic("tank-sensor-1"): true, pub.AlarmTopic(): true}
	timeout := time.After(30 * time.Second)
	for len(want) > 0 {
		select {
		case topic := <-got:
			delete(want, topic)
		case <-timeout:
			t.Fatalf("facmon's messages on %v never passed the deploy broker", want)
		}
	}
}
