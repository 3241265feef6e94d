package site

import (
	"strings"
	"testing"
	"time"
)

// TestCentreSection: the centre's command key is read from key_file and
// must be at least 32 bytes; the link needs the site's broker; the
// heartbeat and command window take their defaults; an inline key is
// refused.
func TestCentreSection(t *testing.T) {
	base := "site: s\ntimezone: Asia/Shanghai\nmqtt:\n  url: tcp://127.0.0.1:1883\n"
	for _, tc := range []struct {
		name, src, key string
		want           []string
	}{
		{"short key", base + "centre:\n  key_file: centre.key\n", "x", []string{"site.yaml:6:13: centre: key_file: the centre's command key is 1 bytes; at least 32"}},
		{"31 bytes", base + "centre:\n  key_file: centre.key\n", strings.Repeat("k", 31), []string{"command key is 31 bytes"}},
		{"no broker", "site: s\ntimezone: Asia/Shanghai\ncentre:\n  key_file: centre.key\n", strings.Repeat("k", 32), []string{"site.yaml:4:13: centre: the centre link needs mqtt.url"}},
		{"inline key", base + "centre:\n  key: abc\n", "", []string{"site.yaml:6:3: ", "key_file or env FACMON_CENTRE_KEY"}},
		{"short heartbeat", base + "centre:\n  key_file: centre.key\n  heartbeat: 100ms\n", strings.Repeat("k", 32), []string{"site.yaml:7:14: centre: heartbeat 100ms: at least 1s"}},
		{"32 bytes", base + "centre:\n  key_file: centre.key\n", strings.Repeat("k", 32), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env{readFile: func(string) ([]byte, error) { return []byte(tc.key), nil }, getenv: func(string) (string, bool) { return "", false }}
			s, err := parse("site.yaml", []byte(tc.src), e)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !s.Centre.Enabled() || time.Duration(s.Centre.Heartbeat) != 5*time.Second || time.Duration(s.Centre.CommandWindow) != 5*time.Minute {
					t.Fatalf("centre = %+v", s.Centre)
				}
				if strings.Contains(s.Centre.Key.String(), "k") {
					t.Fatal("key printed")
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
