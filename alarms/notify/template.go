package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"time"
)

// maxRendered bounds what one template may write, so that a template
// looping over a huge range fails instead of filling memory.
const maxRendered = 64 << 10

// errTooLong is returned when a template writes more than maxRendered.
var errTooLong = fmt.Errorf("template output longer than %d bytes", maxRendered)

// funcs are the functions templates may call besides the built-in ones.
var funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"time":  func(t time.Time, layout string) string { return t.Format(layout) },
	"clock": func(t time.Time) string { return t.Format("2006-01-02 15:04:05") },
	"truncate": func(n int, s string) string {
		if r := []rune(s); n >= 0 && len(r) > n {
			return string(r[:n]) + "…"
		}
		return s
	},
}

// Template is a parsed message template.
type Template struct {
	t *template.Template
}

// ParseTemplate parses text as a Go text/template named name.
func ParseTemplate(name, text string) (*Template, error) {
	t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	return &Template{t: t}, nil
}

// limitedBuffer fails writes past maxRendered.
type limitedBuffer struct{ bytes.Buffer }

// Write appends p unless that passes the limit.
func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > maxRendered {
		return 0, errTooLong
	}
	return b.Buffer.Write(p)
}

// Render executes the template on m.
func (t *Template) Render(m *Message) (out []byte, err error) {
	defer func() {
		// text/template recovers its own panics, but a func given a
		// value of a type it does not expect may still panic.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("template %s: %v", t.t.Name(), r)
		}
	}()
	var b limitedBuffer
	if err := t.t.Execute(&b, m); err != nil {
		if errors.Is(err, errTooLong) {
			return nil, fmt.Errorf("template %s: %w", t.t.Name(), errTooLong)
		}
		return nil, err
	}
	return b.Bytes(), nil
}

// mustTemplate parses a built-in template.
func mustTemplate(name, text string) *Template {
	t, err := ParseTemplate(name, text)
	if err != nil {
		panic(err)
	}
	return t
}

// redactURL drops the query (robot access tokens) and user info from a URL
// for logs and errors.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "<secret>"
	}
	return u.String()
}

// markdownText is the built-in markdown of the robots (render.go).
const markdownText = `{{.Markdown}}`

// smsText is the built-in SMS body: the phone, the text of one segment
// where possible, the acknowledge link apart.
const smsText = `{"phone":{{with .To}}{{json .Phone}}{{else}}""{{end}},"text":{{json .SMSText}},"ack":{{json .AckURL}},"id":{{json .ID}}}`
