package centre

import (
	"os"
	"strings"
	"testing"
)

// FuzzParseConfig: centre.yaml, notify section included, never panics;
// what it accepts has sites and a broker.
func FuzzParseConfig(f *testing.F) {
	if b, err := os.ReadFile("../../deploy/centre/centre.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("broker: {url: tcp://b:1883}\nsites:\n  - {id: s1, url: 'https://s1', token_file: t, key_file: k}\n" +
		"notify:\n  receivers:\n    - {name: am, type: alertmanager, urls: [http://a:9093, http://b:9093]}\n  routes:\n    - {receivers: [am]}\n"))
	f.Add([]byte("notify: &n {receivers: *n}\n"))
	f.Add([]byte("broker: {url: tcp://b:1883}\ninflux: {url: 'http://i:8086', bucket: f/autogen, interval: 30s}\nsites:\n  - {id: s1, url: 'https://s1', token_file: t, key_file: k}\n"))
	f.Add([]byte("influx:\n  spool: {max_bytes: -1}\n"))
	read := func(string) ([]byte, error) { return []byte(strings.Repeat("k", 32)), nil }
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("centre.yaml", data, read)
		if err == nil && (len(c.Sites) == 0 || c.Broker.URL == "") {
			t.Fatalf("accepted without sites or broker: %+v", c)
		}
	})
}

// FuzzDecodeMessage: whatever arrives on the central broker is decoded
// or refused, never a panic; what is accepted names the topic's site.
func FuzzDecodeMessage(f *testing.F) {
	f.Add("facmon/s1/alarm", []byte(`{"id":"intrusion/pz-1/1","rule":"intrusion","severity":"critical","change":"raise","seq":1}`))
	f.Add("facmon/s1/heartbeat", []byte(`{"site":"s1","online":true,"seq":4}`))
	f.Add("facmon/s1/status/pump-1", []byte(`{"site":"s1","device":"pump-1","status":"offline","time":"2026-03-01T22:00:00Z"}`))
	f.Add("facmon/s1/status/pump-1", []byte{})
	f.Add("facmon/s1/status/", []byte(`{"status":"fault"}`))
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		ev, ok := decodeMessage(topic, payload)
		if !ok {
			return
		}
		if want := strings.Split(topic, "/")[1]; ev.site != want {
			t.Fatalf("site %q from topic %q", ev.site, topic)
		}
		if ev.status != nil && (ev.status.device == "" || (!ev.status.gone && ev.status.msg.Status == "")) {
			t.Fatalf("status without device or status: %+v", ev.status)
		}
	})
}
