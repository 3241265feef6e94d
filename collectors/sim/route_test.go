package sim

import (
	"strings"
	"testing"
	"time"
)

// TestDemoRoutes checks which topic and format each kind of MQTT device
// of the demo publishes with, and that the payload is what its
// subscription declares.
func TestDemoRoutes(t *testing.T) {
	demo := loadDemo(t)
	w := NewWorld(demo, t0)
	now := time.Date(2026, 3, 10, 2, 0, 0, 123, time.UTC)
	routes := map[string]*mqttDevice{}
	for _, d := range mqttDevices(demo) {
		routes[d.d.ID] = d
	}
	tests := []struct {
		device, format string
		topics         []string
		body           string // substring of the first message
	}{
		{"north-wall-1", "json", []string{"estate/perimeter/north-wall-1"}, `{"alarm":0,"line_fault":0,"tamper":0}`},
		{"fire-panel-1", "json", []string{"estate/fire/fire-panel-1"}, `"ts":"2026-03-10T02:00:00.000000123Z"`},
		{"room-pump-room", "influx", []string{"estate/pump-room/env/room-pump-room"}, "room,device=room-pump-room temperature="},
		{"flood-lv-room", "influx", []string{"estate/lv-room/env/flood-lv-room"}, "flood_sensor,device=flood-lv-room water=0 1773108000000000123"},
		{"elevator-pit-2", "influx", []string{"estate/building-2/env/elevator-pit-2"}, "elevator_pit,device=elevator-pit-2 water=0,water_level=0 "},
		{"elevator-1", "json", []string{"estate/elevators/elevator-1"}, `{"fault":0,"in_service":1}`},
		{"home-b1-101", "json", []string{"estate/homes/home-b1-101"}, `"alarm":0`},
		{"door-lv-room", "json", []string{"estate/doors/door-lv-room"}, `{"door":{"forced":0,"open":0}}`},
		{"bin-b2-2", "plain", []string{"estate/bins/bin-b2-2/fill_level"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.device, func(t *testing.T) {
			r := routes[tc.device]
			if r == nil {
				t.Fatal("no route")
			}
			if r.format != tc.format {
				t.Errorf("format %s, want %s", r.format, tc.format)
			}
			msgs := r.messages(w, now)
			var topics []string
			for _, m := range msgs {
				topics = append(topics, m.topic)
			}
			if strings.Join(topics, " ") != strings.Join(tc.topics, " ") {
				t.Errorf("topics %v, want %v", topics, tc.topics)
			}
			if got := r.topics(); strings.Join(got, " ") != strings.Join(tc.topics, " ") {
				t.Errorf("topics() %v, want %v (the demo waits for a subscriber on each)", got, tc.topics)
			}
			if !strings.Contains(string(msgs[0].body), tc.body) {
				t.Errorf("body %s, want it to hold %s", msgs[0].body, tc.body)
			}
		})
	}
	if len(routes) != 44 {
		t.Errorf("%d MQTT devices, want 44", len(routes))
	}
}

func TestDueOnChange(t *testing.T) {
	tests := []struct {
		name      string
		sig       string
		sent, now float64
		want      bool
	}{
		{"state change publishes at once", "state", 0, 1, true},
		{"same state waits", "state", 1, 1, false},
		{"bin filling by 3 points publishes", "analog", 80, 83, true},
		{"temperature drifting 0.3 waits", "analog", 24.1, 24.4, false},
		{"counters wait for the heartbeat", "counter", 100, 250, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := changed(siteType(tc.sig), tc.sent, tc.now); got != tc.want {
				t.Errorf("changed = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPayloadShapes covers the route shapes the demo does not use.
func TestPayloadShapes(t *testing.T) {
	demo := loadDemo(t)
	w := NewWorld(demo, t0)
	d, _ := demo.Device("room-lv-room")
	tests := []struct {
		name   string
		r      mqttDevice
		topics []string
		first  string
	}{
		{"influx per signal", mqttDevice{topic: "x/room-lv-room/{signal}", format: "influx"},
			[]string{"x/room-lv-room/temperature", "x/room-lv-room/humidity"}, "room,device=room-lv-room temperature="},
		{"json with a fixed signal is a bare number", mqttDevice{topic: "x/t", format: "json", signal: "humidity"},
			[]string{"x/t"}, "62."},
		{"plain per signal", mqttDevice{topic: "x/{signal}", format: "plain"},
			[]string{"x/temperature", "x/humidity"}, "2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			r.d, r.sent = d, map[string]float64{}
			msgs := r.messages(w, t0)
			var topics []string
			for _, m := range msgs {
				topics = append(topics, m.topic)
			}
			if strings.Join(topics, " ") != strings.Join(tc.topics, " ") || !strings.HasPrefix(string(msgs[0].body), tc.first) {
				t.Errorf("got %v, first body %q; want %v and %q…", topics, msgs[0].body, tc.topics, tc.first)
			}
		})
	}
	if got := fillTopic("a/+/{area}/#", d); got != "a/room-lv-room/lv-room" {
		t.Errorf("fillTopic = %q", got)
	}
}
