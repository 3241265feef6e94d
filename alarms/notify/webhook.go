package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// Headers a webhook request carries.
const (
	// HeaderIdempotency carries Message.ID: the same on every retry.
	HeaderIdempotency = "Idempotency-Key"
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256 of the body
	// under the receiver's secret.
	HeaderSignature = "X-Facmon-Signature"
)

// Webhook posts a templated JSON body to a URL.
type Webhook struct {
	Name     string
	URL      string
	Header   http.Header
	Secret   []byte
	Template *Template
	Client   *http.Client
}

// defaultWebhook is the body when the site gives no template: the message
// itself with its summary and text (Payload).
var defaultWebhook = mustTemplate("webhook", `{{json .Payload}}`)

// payload is the default webhook body.
type payload struct {
	*Message
	// Summary is Message.Summary; Text is the markdown the robots get.
	Summary string `json:"summary"`
	Text    string `json:"text"`
}

// Payload is the message with its one-line summary and its markdown text,
// the default webhook body.
func (m *Message) Payload() any {
	return payload{Message: m, Summary: m.Summary(), Text: m.Markdown()}
}

// Send renders and posts m.
func (w *Webhook) Send(ctx context.Context, m *Message) (Result, error) {
	t := w.Template
	if t == nil {
		t = defaultWebhook
	}
	body, err := t.Render(m)
	if err != nil {
		return Result{}, &SendError{Receiver: w.Name, URL: redactURL(w.URL), Err: err}
	}
	h := w.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set(HeaderIdempotency, m.ID)
	if len(w.Secret) > 0 {
		h.Set(HeaderSignature, "sha256="+Sign(w.Secret, body))
	}
	return post(ctx, w.Client, w.Name, w.URL, body, h)
}

// Sign returns the hex HMAC-SHA256 of body under secret, as a receiver
// checks HeaderSignature.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
