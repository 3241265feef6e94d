package acklink

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Acker acknowledges an alarm as a user. The lead binds it to the engine
// runner and records the acknowledgement in the journal.
type Acker interface {
	Ack(ctx context.Context, id, user string, at time.Time) error
}

// HandlerOptions build a Handler.
type HandlerOptions struct {
	Key    []byte
	Store  *Store
	Acker  Acker
	Now    func() time.Time
	Logger *slog.Logger
	// Registerer takes facmon_notify_ack_links_total{result}; nil: none.
	Registerer prometheus.Registerer
}

// Handler serves GET and POST /ack/{token}.
type Handler struct {
	o      HandlerOptions
	result *prometheus.CounterVec
}

// NewHandler returns the handler; mount it at "/ack/".
func NewHandler(o HandlerOptions) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{o: o, result: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "facmon_notify_ack_links_total",
		Help: "Acknowledge links used, by result (acked, expired, reused, tampered, malformed, failed).",
	}, []string{"result"})}
	if o.Registerer != nil {
		o.Registerer.MustRegister(h.result)
	}
	return h
}

// ServeHTTP shows the confirm page (GET) or acknowledges (POST).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	now := h.o.Now()
	c, err := Parse(h.o.Key, token, now)
	if err == nil && h.o.Store.Used(c.Nonce) {
		err = ErrReused
	}
	if err != nil {
		h.refuse(w, err)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		render(w, http.StatusOK, page{Title: "确认告警 Acknowledge alarm", Claims: c, Confirm: true})
	case http.MethodPost:
		h.ack(w, r, c, now)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// ack uses the link once.
func (h *Handler) ack(w http.ResponseWriter, r *http.Request, c Claims, now time.Time) {
	if err := h.o.Store.Begin(c.Nonce); err != nil {
		h.refuse(w, err)
		return
	}
	if err := h.o.Acker.Ack(r.Context(), c.Alarm, c.User, now); err != nil {
		h.o.Store.Abort(c.Nonce)
		h.result.WithLabelValues("failed").Inc()
		h.o.Logger.Warn("ack link: acknowledge failed", "alarm", c.Alarm, "user", c.User, "err", err)
		render(w, http.StatusConflict, page{Title: "未能确认 Not acknowledged", Claims: c,
			Text: "告警未能确认（可能已恢复或已被他人确认）。The alarm could not be acknowledged (it may have cleared or been acknowledged by someone else): " + err.Error()})
		return
	}
	if err := h.o.Store.Commit(c.Nonce, c.Expires); err != nil {
		h.o.Logger.Error("ack link: store", "err", err)
	}
	h.result.WithLabelValues("acked").Inc()
	h.o.Logger.Info("ack link: acknowledged", "alarm", c.Alarm, "user", c.User)
	render(w, http.StatusOK, page{Title: "已确认 Acknowledged", Claims: c, Text: "告警已确认。The alarm is acknowledged."})
}

// refusals are the page of each refused link.
var refusals = []struct {
	err    error
	result string
	status int
	text   string
}{
	{ErrExpired, "expired", http.StatusGone, "此确认链接已过期，请在控制台确认。This link has expired; acknowledge in the console."},
	{ErrReused, "reused", http.StatusConflict, "此确认链接已使用过，不能再次使用。This link was already used and cannot be used again."},
	{ErrTampered, "tampered", http.StatusForbidden, "此确认链接无效（签名不符）。This link is not valid (its signature does not match)."},
}

// refuse shows why a link is refused; it changes nothing.
func (h *Handler) refuse(w http.ResponseWriter, err error) {
	for _, r := range refusals {
		if errors.Is(err, r.err) {
			h.result.WithLabelValues(r.result).Inc()
			render(w, r.status, page{Title: "链接无效 Link refused", Text: r.text})
			return
		}
	}
	h.result.WithLabelValues("malformed").Inc()
	render(w, http.StatusBadRequest, page{Title: "链接无效 Link refused", Text: "此确认链接不完整或已损坏。This link is incomplete or damaged."})
}

// page is what the page template shows.
type page struct {
	Title   string
	Text    string
	Claims  Claims
	Confirm bool
}

// pageTmpl is the one page: confirm, done or refused.
var pageTmpl = template.Must(template.New("ack").Parse(`<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>body{font:18px sans-serif;margin:2em}button{font-size:1.2em;padding:.6em 1.4em}</style></head>
<body><h1>{{.Title}}</h1>
{{if .Text}}<p>{{.Text}}</p>{{end}}
{{if .Claims.Alarm}}<p>告警 Alarm: <code>{{.Claims.Alarm}}</code><br>确认人 As: <b>{{.Claims.User}}</b></p>{{end}}
{{if .Confirm}}<form method="post"><button type="submit">确认 Acknowledge</button></form>{{end}}
</body></html>
`))

// render writes the page with status.
func render(w http.ResponseWriter, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The page's own style is inline and its form posts to itself; the
	// token in the URL must not leak through a referrer.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	pageTmpl.Execute(w, p)
}
