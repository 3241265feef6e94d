package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "facmon_test_total", Help: "x"})
	reg.MustRegister(c)
	c.Inc()
	s := New(Options{Gatherer: reg})
	var spoolErr error
	s.AddCheck("spool", func() error { return spoolErr })
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	get := func(path string) (int, string, http.Header) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	tests := []struct {
		name, path string
		before     func()
		code       int
		contains   string
	}{
		{"metrics", "/metrics", nil, 200, "facmon_test_total 1"},
		{"healthz", "/healthz", nil, 200, `"ok"`},
		{"ready", "/readyz", nil, 200, `"spool":"ok"`},
		{"not ready", "/readyz", func() { spoolErr = errors.New("spool not open") }, 503, "spool not open"},
		{"unknown path", "/nope", nil, 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			code, body, h := get(tc.path)
			if code != tc.code || !strings.Contains(body, tc.contains) {
				t.Fatalf("GET %s = %d %q, want %d containing %q", tc.path, code, body, tc.code, tc.contains)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") == "" {
				t.Fatalf("security headers missing: %v", h)
			}
		})
	}
}

func TestRunBindsAndStops(t *testing.T) {
	s := New(Options{Listen: "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	resp, err := http.Get("http://" + s.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestGuardWrapsRoutesInsideSecurityHeaders(t *testing.T) {
	s := New(Options{})
	s.Handle("GET /x", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("x")) }))
	s.Guard(func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusUnauthorized) })
	})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("Content-Security-Policy") == "" {
		t.Fatalf("guard not applied inside the headers: %d %v", rec.Code, rec.Header())
	}
}
