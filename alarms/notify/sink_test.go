package notify

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// got is one request a sink received.
type got struct {
	Key    string
	Header http.Header
	Body   []byte
	At     time.Time
	URL    string
}

// sink is a real HTTP receiver on a loopback port that can go down and
// come back on the same port.
type sink struct {
	t      testing.TB
	addr   string
	mu     sync.Mutex
	srv    *http.Server
	reqs   []got
	status int
	answer string
}

// newSink starts a receiver answering 200.
func newSink(t *testing.T) *sink { return newSinkTB(t) }

// newSinkTB is newSink for tests and benchmarks.
func newSinkTB(t testing.TB) *sink {
	s := &sink{t: t, status: 200, answer: `{"errcode":0,"errmsg":"ok"}`}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// URL is the sink's base URL.
func (s *sink) URL() string { return "http://" + s.addr }

func (s *sink) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(s.handle)}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

func (s *sink) handle(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	status, answer := s.status, s.answer
	if status < 300 {
		s.reqs = append(s.reqs, got{Key: r.Header.Get(HeaderIdempotency), Header: r.Header.Clone(), Body: b, At: time.Now(), URL: r.URL.String()})
	}
	s.mu.Unlock()
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

// Stop closes the listener: connections are refused until Start.
func (s *sink) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Start listens again on the same port.
func (s *sink) Start() {
	var ln net.Listener
	var err error
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ln, err = net.Listen("tcp", s.addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // the port is released asynchronously
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.serve(ln)
}

// requests returns what arrived so far.
func (s *sink) requests() []got {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]got(nil), s.reqs...)
}

// keys returns the distinct idempotency keys received.
func (s *sink) keys() map[string]int {
	m := map[string]int{}
	for _, r := range s.requests() {
		m[r.Key]++
	}
	return m
}

// messages decodes the bodies as facmon messages (the default webhook
// body).
func (s *sink) messages(t testing.TB) []Message {
	var out []Message
	for _, r := range s.requests() {
		var m Message
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatalf("body %q: %v", r.Body, err)
		}
		out = append(out, m)
	}
	return out
}

// reset forgets what arrived.
func (s *sink) reset() {
	s.mu.Lock()
	s.reqs = nil
	s.mu.Unlock()
}

// waitCount waits until n requests arrived and returns when the n-th did.
func (s *sink) waitCount(t testing.TB, n int) time.Time {
	var at time.Time
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.mu.Lock()
		if len(s.reqs) >= n {
			at = s.reqs[n-1].At
		}
		s.mu.Unlock()
		if !at.IsZero() {
			return at
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for request %d", n)
		}
		time.Sleep(100 * time.Microsecond)
	}
}
