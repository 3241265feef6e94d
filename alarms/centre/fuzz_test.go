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
	read := func(string) ([]byte, error) { return []byte(strings.Repeat("k", 32)), nil }
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("centre.yaml", data, read)
		if err == nil && (len(c.Sites) == 0 || c.Broker.URL == "") {
			t.Fatalf("accepted without sites or broker: %+v", c)
		}
	})
}
