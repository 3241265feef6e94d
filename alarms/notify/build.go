package notify

import (
	"fmt"
	"net/http"
	"time"

	"facmon/internal/site"
)

// Built is what Build makes of a notify section.
type Built struct {
	// Receivers are the notifiers by receiver name.
	Receivers map[string]Notifier
	// Resend is the refresh period of each Alertmanager receiver.
	Resend map[string]time.Duration
}

// Build makes the notifiers of a checked notify section. Templates are
// parsed here; a bad one is an error naming its receiver. client nil uses
// a client without timeout (each attempt has the receiver's own).
func Build(n *site.Notify, client *http.Client, now func() time.Time) (*Built, error) {
	if client == nil {
		client = &http.Client{}
	}
	b := &Built{Receivers: map[string]Notifier{}, Resend: map[string]time.Duration{}}
	for i := range n.Receivers {
		r := &n.Receivers[i]
		nt, err := buildOne(r, client, now)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: notify: receiver %q: %w", r.File, r.Line, r.Name, err)
		}
		b.Receivers[r.Name] = nt
		if r.Type == site.ReceiverAlertmanager {
			b.Resend[r.Name] = r.Resend.Std()
		}
	}
	return b, nil
}

// buildOne makes one receiver's notifier.
func buildOne(r *site.Receiver, c *http.Client, now func() time.Time) (Notifier, error) {
	var tmpl *Template
	if r.Template != "" {
		t, err := ParseTemplate(r.Name, r.Template)
		if err != nil {
			return nil, err
		}
		tmpl = t
	}
	u := r.URL
	if r.URLSecret != "" {
		u = r.URLSecret.Reveal()
	}
	h := http.Header{}
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	if r.Auth != "" {
		h.Set("Authorization", r.Auth.Reveal())
	}
	secret := []byte(r.Secret.Reveal())
	switch r.Type {
	case site.ReceiverAlertmanager:
		urls := r.URLs
		if len(urls) == 0 {
			urls = []string{u}
		}
		return &Alertmanager{Name: r.Name, URLs: urls, Header: h, Resend: r.Resend.Std(), Client: c, Now: now}, nil
	case site.ReceiverWebhook:
		return &Webhook{Name: r.Name, URL: u, Header: h, Secret: secret, Template: tmpl, Client: c}, nil
	case site.ReceiverWeCom:
		return &WeCom{Name: r.Name, URL: u, Template: tmpl, Client: c}, nil
	case site.ReceiverDingTalk:
		return &DingTalk{Name: r.Name, URL: u, Secret: secret, Template: tmpl, Client: c, Now: now}, nil
	case site.ReceiverSMS:
		return &SMS{Name: r.Name, URL: u, Header: h, Template: tmpl, Client: c}, nil
	}
	return nil, fmt.Errorf("type %q unknown", r.Type)
}
