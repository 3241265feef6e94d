package site

import (
	"strings"
	"testing"
	"time"
)

// TestNotifyLoads loads a notify section with every part, secrets from
// the environment, and checks the defaults.
func TestNotifyLoads(t *testing.T) {
	src := []byte(`site: demo
areas: [{id: north}]
notify:
  public_url: https://facmon.example
  ack_secret_file: keys/acknowledge-links.key
  escalation: {critical: 1m}
  receivers:
    - {name: am, type: alertmanager, urls: [http://am1:9093, http://am2:9093]}
    - {name: duty-ding, type: dingtalk, url_file: ding.url, secret_file: ding.key}
    - {name: duty-sms, type: sms, url: https://sms.example/send, auth_file: sms.auth, rate_per_minute: 0}
  people:
    - {id: zhang, phone: "13800000000", receivers: [duty-sms, duty-ding]}
  groups:
    - {id: night, members: [zhang]}
  shifts:
    - {days: [mon, tue], from: "20:00", to: "08:00", levels: [[night], [zhang]]}
  routes:
    - {severities: [critical], kinds: [perimeter_zone], areas: [north], receivers: [am], duty: true}
  heartbeat: {interval: 1m, receivers: [am]}
`)
	e := env{
		readFile: func(p string) ([]byte, error) { return []byte("from-file " + p), nil },
		getenv: func(k string) (string, bool) {
			v, ok := map[string]string{"FACMON_NOTIFY_DUTY_DING_URL": "https://oapi.dingtalk.com/robot/send?access_token=T"}[k]
			return v, ok
		},
	}
	s, err := parse("site.yaml", src, e)
	if err != nil {
		t.Fatal(err)
	}
	n := s.Notify
	tests := []struct {
		name      string
		got, want any
	}{
		{"ack key from its file", n.AckSecret.Reveal(), "from-file keys/acknowledge-links.key"},
		{"ack link ttl default", n.AckLinkTTL, DefaultAckLinkTTL},
		{"critical as written", n.Escalation.Critical, Duration(time.Minute)},
		{"major default", n.Escalation.Major, DefaultEscalateMajor},
		{"flood window default", n.FloodWindow, DefaultFloodWindow},
		{"robot URL from env over the file", n.Receivers[1].URLSecret.Reveal(), "https://oapi.dingtalk.com/robot/send?access_token=T"},
		{"robot secret from file", n.Receivers[1].Secret.Reveal(), "from-file ding.key"},
		{"resend default for alertmanager", n.Receivers[0].Resend, DefaultAlertmanagerResend},
		{"rate default", n.Receivers[1].RatePerMinute, DefaultReceiverRate},
		{"explicit rate 0 kept", n.Receivers[2].RatePerMinute, 0},
		{"gateway auth from its file", n.Receivers[2].Auth.Reveal(), "from-file sms.auth"},
		{"timeout default", n.Receivers[2].Timeout, DefaultReceiverTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00", 0, true}, {"08:30", 8*time.Hour + 30*time.Minute, true}, {"24:00", 24 * time.Hour, true},
		{"24:01", 0, false}, {"8:00", 0, false}, {"12:60", 0, false}, {"ab:cd", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseClock(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("ParseClock(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
}

// TestShortKeysRefused: an ack-link key or a scrape token under 32 bytes
// is an error naming the key (issue 12: a one-byte key passed check).
func TestShortKeysRefused(t *testing.T) {
	src := []byte("site: s\ntimezone: Asia/Shanghai\nhttp:\n  metrics_token_file: m.token\nnotify:\n  ack_secret_file: ack.key\n")
	for _, tc := range []struct {
		name, value string
		want        []string
	}{
		{"one byte", "x", []string{"site.yaml:6:20: notify: ack_secret_file: the ack-link key is 1 bytes; at least 32", "site.yaml:4:23: http: metrics_token_file: the token is 1 bytes; at least 32"}},
		{"31 bytes", strings.Repeat("k", 31), []string{"ack-link key is 31 bytes", "token is 31 bytes"}},
		{"32 bytes", strings.Repeat("k", 32), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env{readFile: func(string) ([]byte, error) { return []byte(tc.value), nil }, getenv: func(string) (string, bool) { return "", false }}
			_, err := parse("site.yaml", src, e)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
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
