package notify

import (
	"context"
	"net/http"
)

// SMS posts a templated body to an HTTP SMS gateway (the common Chinese
// providers take a JSON POST with the phone number and template
// parameters). A message for nobody in particular goes to no phone: the
// template decides what the gateway gets.
type SMS struct {
	Name     string
	URL      string
	Header   http.Header
	Template *Template
	Client   *http.Client
}

// defaultSMS is the body when the site gives no template.
var defaultSMS = mustTemplate("sms", smsText)

// Send renders and posts m.
func (s *SMS) Send(ctx context.Context, m *Message) (Result, error) {
	body, err := renderOr(s.Template, defaultSMS, m)
	if err != nil {
		return Result{}, &SendError{Receiver: s.Name, URL: redactURL(s.URL), Err: err}
	}
	h := s.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set(HeaderIdempotency, m.ID)
	return post(ctx, s.Client, s.Name, s.URL, []byte(body), h)
}
