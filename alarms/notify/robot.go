package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"
)

// WeCom posts markdown to a WeCom (企业微信) group robot:
// {"msgtype":"markdown","markdown":{"content":...}}.
type WeCom struct {
	Name     string
	URL      string
	Template *Template
	Client   *http.Client
}

// DingTalk posts markdown to a DingTalk (钉钉) group robot:
// {"msgtype":"markdown","markdown":{"title":...,"text":...},"at":...}, signed
// when Secret is set.
type DingTalk struct {
	Name     string
	URL      string
	Secret   []byte
	Template *Template
	Client   *http.Client
	// Now gives the signing timestamp.
	Now func() time.Time
}

// defaultMarkdown is the robots' text when the site gives no template.
var defaultMarkdown = mustTemplate("markdown", markdownText)

// robotAnswer is both robots' JSON answer.
type robotAnswer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// robotRateLimited are errcodes that mean "too fast, try later": WeCom
// 45009 (API freq out of limit), DingTalk 130101 (send too fast) and
// -1 (system busy).
var robotRateLimited = map[int]bool{45009: true, 130101: true, -1: true}

// Send posts m as WeCom markdown; the person addressed is mentioned by
// phone.
func (w *WeCom) Send(ctx context.Context, m *Message) (Result, error) {
	text, err := renderOr(w.Template, defaultMarkdown, m)
	if err != nil {
		return Result{}, &SendError{Receiver: w.Name, URL: redactURL(w.URL), Err: err}
	}
	md := map[string]any{"content": cutBytes(text, weComMaxBytes)}
	if m.To != nil && m.To.Phone != "" {
		md["mentioned_mobile_list"] = []string{m.To.Phone}
	}
	body, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": md})
	return robotPost(ctx, w.Client, w.Name, w.URL, body, m.ID)
}

// Send posts m as DingTalk markdown.
func (d *DingTalk) Send(ctx context.Context, m *Message) (Result, error) {
	text, err := renderOr(d.Template, defaultMarkdown, m)
	if err != nil {
		return Result{}, &SendError{Receiver: d.Name, URL: redactURL(d.URL), Err: err}
	}
	msg := map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": m.Summary(), "text": cutBytes(text, dingTalkMaxBytes)}}
	if m.To != nil && m.To.Phone != "" {
		msg["at"] = map[string]any{"atMobiles": []string{m.To.Phone}}
	}
	body, _ := json.Marshal(msg)
	u, err := d.signedURL()
	if err != nil {
		return Result{}, &SendError{Receiver: d.Name, URL: redactURL(d.URL), Err: err}
	}
	return robotPost(ctx, d.Client, d.Name, u, body, m.ID)
}

// signedURL adds DingTalk's timestamp and sign: base64 of the HMAC-SHA256
// of "timestamp\nsecret" under the secret.
func (d *DingTalk) signedURL() (string, error) {
	if len(d.Secret) == 0 {
		return d.URL, nil
	}
	u, err := url.Parse(d.URL)
	if err != nil {
		return "", err
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	ts := strconv.FormatInt(now().UnixMilli(), 10)
	q := u.Query()
	q.Set("timestamp", ts)
	q.Set("sign", DingTalkSign(d.Secret, ts))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DingTalkSign returns DingTalk's sign for a millisecond timestamp.
func DingTalkSign(secret []byte, ts string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "\n" + string(secret)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// The robots' markdown limits: WeCom refuses content over 4096 bytes
// (errcode 40058); DingTalk's limit is 20000 bytes.
const (
	weComMaxBytes    = 4096
	dingTalkMaxBytes = 20000
)

// cutBytes cuts s to at most n bytes of valid UTF-8, marking the cut.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "\n…"
	b := []byte(s[:n-len(mark)])
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return string(b) + mark
}

// renderOr renders t, or def when t is nil.
func renderOr(t, def *Template, m *Message) (string, error) {
	if t == nil {
		t = def
	}
	b, err := t.Render(m)
	return string(b), err
}

// robotPost posts to a robot and reads its errcode: HTTP 200 with a
// non-zero errcode is a failure too.
func robotPost(ctx context.Context, c *http.Client, name, u string, body []byte, id string) (Result, error) {
	h := http.Header{HeaderIdempotency: []string{id}}
	res, err := post(ctx, c, name, u, body, h)
	if err != nil {
		return res, err
	}
	var a robotAnswer
	if json.Unmarshal([]byte(res.Body), &a) != nil || a.ErrCode == 0 {
		return res, nil
	}
	return res, &SendError{Receiver: name, URL: redactURL(u), Status: res.Status, Body: res.Body,
		Retryable: robotRateLimited[a.ErrCode], Err: fmt.Errorf("errcode %d: %s", a.ErrCode, a.ErrMsg)}
}
