package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func testMessage() *Message {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	return &Message{ID: "k1", Receiver: "r", Event: Firing, Count: 1, Created: t0,
		To:     &Person{ID: "zhang", Name: "张工", Phone: "13800000000"},
		AckURL: "https://facmon.example/ack/tok",
		Alerts: []Alert{{ID: "fire-tank-low/fire-tank-1/1", Rule: "fire-tank-low", Site: "demo", Area: "pump-room",
			Kind: "water_tank", Device: "fire-tank-1", Severity: "critical", Message: "消防水池水位低 2.1 m", Cite: "篇3·十六·3", StartsAt: t0}}}
}

func TestNotifiers(t *testing.T) {
	s := newSink(t)
	c := &http.Client{}
	now := func() time.Time { return time.UnixMilli(1_800_000_000_000) }
	tests := []struct {
		name  string
		n     Notifier
		check func(t *testing.T, g got)
	}{
		{"webhook carries the key and an HMAC of the body",
			&Webhook{Name: "hook", URL: s.URL() + "/hook", Secret: []byte("k"), Header: http.Header{"X-Tenant": {"t7"}}, Client: c},
			func(t *testing.T, g got) {
				if g.Header.Get(HeaderSignature) != "sha256="+Sign([]byte("k"), g.Body) || g.Header.Get("X-Tenant") != "t7" || g.Key != "k1" {
					t.Errorf("headers %v", g.Header)
				}
				var m Message
				if json.Unmarshal(g.Body, &m) != nil || m.Alerts[0].Cite != "篇3·十六·3" {
					t.Errorf("body %s", g.Body)
				}
			}},
		{"wecom markdown mentions the person",
			&WeCom{Name: "wc", URL: s.URL() + "/cgi-bin/webhook/send?key=abc", Client: c},
			func(t *testing.T, g got) {
				var b struct {
					MsgType  string `json:"msgtype"`
					Markdown struct {
						Content string   `json:"content"`
						Mobiles []string `json:"mentioned_mobile_list"`
					} `json:"markdown"`
				}
				json.Unmarshal(g.Body, &b)
				if b.MsgType != "markdown" || !strings.Contains(b.Markdown.Content, "消防水池水位低") ||
					!strings.Contains(b.Markdown.Content, "https://facmon.example/ack/tok") || b.Markdown.Mobiles[0] != "13800000000" {
					t.Errorf("body %s", g.Body)
				}
			}},
		{"dingtalk markdown, signed",
			&DingTalk{Name: "dt", URL: s.URL() + "/robot/send?access_token=abc", Secret: []byte("SEC"), Client: c, Now: now},
			func(t *testing.T, g got) {
				u, _ := url.Parse(g.URL)
				q := u.Query()
				if q.Get("timestamp") != "1800000000000" || q.Get("sign") != DingTalkSign([]byte("SEC"), "1800000000000") || q.Get("access_token") != "abc" {
					t.Errorf("query %v", q)
				}
				var b struct {
					MsgType  string            `json:"msgtype"`
					Markdown map[string]string `json:"markdown"`
				}
				json.Unmarshal(g.Body, &b)
				if b.MsgType != "markdown" || !strings.Contains(b.Markdown["title"], "消防水池水位低") || !strings.Contains(b.Markdown["text"], "pump-room") {
					t.Errorf("body %s", g.Body)
				}
			}},
		{"sms posts the phone and the text",
			&SMS{Name: "sms", URL: s.URL() + "/sms", Client: c},
			func(t *testing.T, g got) {
				var b map[string]string
				if err := json.Unmarshal(g.Body, &b); err != nil || b["phone"] != "13800000000" || !strings.Contains(b["text"], "消防水池水位低") {
					t.Errorf("body %s", g.Body)
				}
			}},
		{"alertmanager v2 alert with labels and annotations",
			&Alertmanager{Name: "am", URLs: []string{s.URL()}, Resend: time.Minute, Client: c, Now: now},
			func(t *testing.T, g got) {
				var as []postableAlert
				json.Unmarshal(g.Body, &as)
				if g.URL != "/api/v2/alerts" || len(as) != 1 || as[0].Labels["alertname"] != "fire-tank-low" || as[0].Labels["severity"] != "critical" ||
					as[0].Annotations["clause"] != "篇3·十六·3" || !as[0].EndsAt.Equal(now().Add(4*time.Minute)) {
					t.Errorf("%s %s", g.URL, g.Body)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.requests())
			if _, err := tt.n.Send(context.Background(), testMessage()); err != nil {
				t.Fatal(err)
			}
			rs := s.requests()
			if len(rs) != before+1 {
				t.Fatalf("%d requests", len(rs)-before)
			}
			tt.check(t, rs[len(rs)-1])
		})
	}
}

func TestRetryable(t *testing.T) {
	s := newSink(t)
	w := &Webhook{Name: "hook", URL: s.URL(), Client: &http.Client{}}
	tests := []struct {
		name   string
		status int
		answer string
		robot  bool
		retry  bool
		ok     bool
	}{
		{"200 is success", 200, "", false, false, true},
		{"500 is retried", 500, "boom", false, true, false},
		{"503 is retried", 503, "", false, true, false},
		{"429 is retried", 429, "", false, true, false},
		{"400 is not", 400, "bad", false, false, false},
		{"404 is not", 404, "", false, false, false},
		{"robot errcode 45009 is retried", 200, `{"errcode":45009,"errmsg":"api freq out of limit"}`, true, true, false},
		{"robot errcode 93000 is not", 200, `{"errcode":93000,"errmsg":"invalid webhook url"}`, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.mu.Lock()
			s.status, s.answer = tt.status, tt.answer
			s.mu.Unlock()
			var n Notifier = w
			if tt.robot {
				n = &WeCom{Name: "wc", URL: s.URL(), Client: &http.Client{}}
			}
			_, err := n.Send(context.Background(), testMessage())
			if (err == nil) != tt.ok || Retryable(err) != tt.retry {
				t.Errorf("err = %v, retryable %v; want ok=%v retry=%v", err, Retryable(err), tt.ok, tt.retry)
			}
		})
	}
	t.Run("connection refused is retried", func(t *testing.T) {
		s.Stop()
		_, err := w.Send(context.Background(), testMessage())
		if !Retryable(err) || !strings.Contains(err.Error(), `receiver "hook"`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestAlertmanagerHA(t *testing.T) {
	up := newSink(t)
	down := newSink(t)
	down.Stop()
	am := &Alertmanager{Name: "am", URLs: []string{down.URL(), up.URL()}, Client: &http.Client{}}
	if _, err := am.Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("one member up: %v", err)
	}
	up.Stop()
	if _, err := am.Send(context.Background(), testMessage()); !Retryable(err) {
		t.Fatalf("all down: %v", err)
	}
}

func TestCutBytes(t *testing.T) {
	long := strings.Repeat("消防水池", 2000) // 24000 bytes
	for _, n := range []int{weComMaxBytes, dingTalkMaxBytes} {
		got := cutBytes(long, n)
		if len(got) > n || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
			t.Errorf("cut to %d: %d bytes, valid %v", n, len(got), utf8.ValidString(got))
		}
	}
	if cutBytes("short", 10) != "short" {
		t.Error("short text changed")
	}
}

func TestRedactURL(t *testing.T) {
	got := redactURL("https://user:pw@oapi.dingtalk.com/robot/send?access_token=SECRET")
	if strings.Contains(got, "SECRET") || strings.Contains(got, "pw") {
		t.Fatal(got)
	}
}

// TestDingTalkSignVector: the sign DingTalk's own Python sample computes
// for secret "SEC" at timestamp 1800000000000.
func TestDingTalkSignVector(t *testing.T) {
	if got := DingTalkSign([]byte("SEC"), "1800000000000"); got != "snWJGNvxG289M1DakauiI2qhvs17e0cI4yoKmFGM0a8=" {
		t.Fatal(got)
	}
}
