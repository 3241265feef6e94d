// Package web is facmon's one HTTP listener: the route table, the security
// headers every response carries, /metrics, /healthz and /readyz. The
// console and the APIs of other parts are mounted into it by main.
package web

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check reports whether one part is ready; nil means ready.
type Check func() error

// Options configure a Server.
type Options struct {
	Listen   string
	Gatherer prometheus.Gatherer
	Logger   *slog.Logger
	// Timeouts of the listener; zero fields take the defaults.
	Timeouts Timeouts
}

// Timeouts bound how long a client may hold a connection without making
// progress, so that a request trickled one byte at a time (slowloris)
// cannot keep connections open indefinitely. There is no write timeout:
// the event stream is a response that lasts as long as the console is
// open.
type Timeouts struct {
	// ReadHeader is the time to send the request line and headers
	// (default 10 s).
	ReadHeader time.Duration
	// Read is the time to send the whole request, body included (default
	// 30 s; bodies are at most a few KiB).
	Read time.Duration
	// Idle is how long a kept-alive connection waits for the next request
	// (default 120 s).
	Idle time.Duration
}

// withDefaults fills the zero fields.
func (t Timeouts) withDefaults() Timeouts {
	if t.ReadHeader <= 0 {
		t.ReadHeader = 10 * time.Second
	}
	if t.Read <= 0 {
		t.Read = 30 * time.Second
	}
	if t.Idle <= 0 {
		t.Idle = 120 * time.Second
	}
	return t
}

// Server is the HTTP listener.
type Server struct {
	opt    Options
	mux    *http.ServeMux
	mu     sync.RWMutex
	checks map[string]Check
	addr   net.Addr
	ready  chan struct{}

	// guard wraps the routes (the console's authentication); tlsConf
	// serves HTTPS. Both are set before Run.
	guard   func(http.Handler) http.Handler
	tlsConf *tls.Config
}

// Guard puts mw (authentication, authorisation) in front of every route;
// the security headers stay outermost. Call it before Run.
func (s *Server) Guard(mw func(http.Handler) http.Handler) { s.guard = mw }

// UseTLS serves HTTPS with c (certificates loaded by the caller). Call it
// before Run.
func (s *Server) UseTLS(c *tls.Config) { s.tlsConf = c }

// New builds a server with /metrics, /healthz and /readyz mounted.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opt: o, mux: http.NewServeMux(), checks: map[string]Check{}, ready: make(chan struct{})}
	if o.Gatherer != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{ErrorLog: slogErrorLog{o.Logger}}))
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	return s
}

// Handle mounts a handler on a ServeMux pattern ("GET /api/v1/signals").
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// AddCheck adds (or replaces) a named readiness check.
func (s *Server) AddCheck(name string, c Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks[name] = c
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	s.mu.RLock()
	names := make([]string, 0, len(s.checks))
	for n := range s.checks {
		names = append(names, n)
	}
	s.mu.RUnlock()
	sort.Strings(names)
	status, code := map[string]string{}, http.StatusOK
	for _, n := range names {
		s.mu.RLock()
		c := s.checks[n]
		s.mu.RUnlock()
		if err := c(); err != nil {
			status[n], code = err.Error(), http.StatusServiceUnavailable
		} else {
			status[n] = "ok"
		}
	}
	writeJSON(w, code, status)
}

// Handler is the full handler with security headers, for tests.
func (s *Server) Handler() http.Handler {
	if s.guard != nil {
		return secure(s.guard(s.mux))
	}
	return secure(s.mux)
}

// Addr is the address the server listens on, once Run has bound it.
func (s *Server) Addr() net.Addr {
	<-s.ready
	return s.addr
}

// Run listens and serves until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	l, err := net.Listen("tcp", s.opt.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.opt.Listen, err)
	}
	if s.tlsConf != nil {
		l = tls.NewListener(l, s.tlsConf)
	}
	s.addr = l.Addr()
	close(s.ready)
	to := s.opt.Timeouts.withDefaults()
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: to.ReadHeader,
		ReadTimeout:       to.Read,
		IdleTimeout:       to.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slogErrorLog{s.opt.Logger}.std(),
	}
	s.opt.Logger.Info("http listening", "addr", l.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}

// secure adds the headers every facmon response carries.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if hd.Get("Content-Security-Policy") == "" {
			hd.Set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		}
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
