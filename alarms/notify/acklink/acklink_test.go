package acklink

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is an Acker that remembers acknowledgements.
type recorder struct {
	mu   sync.Mutex
	acks []string
	fail error
}

func (r *recorder) Ack(_ context.Context, id, user string, _ time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.acks = append(r.acks, id+" by "+user)
	return nil
}

func (r *recorder) list() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.acks, ";")
}

var key = []byte("test-key-0123456789")

type fixture struct {
	srv   *httptest.Server
	acker *recorder
	dir   string
	now   time.Time
	store *Store
}

func newFixture(t *testing.T, dir string, now time.Time) *fixture {
	t.Helper()
	st, err := OpenStore(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{acker: &recorder{}, dir: dir, now: now, store: st}
	h := NewHandler(HandlerOptions{Key: key, Store: st, Acker: f.acker, Now: func() time.Time { return f.now }})
	mux := http.NewServeMux()
	mux.Handle("/ack/", h)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() { f.srv.Close(); st.Close() })
	return f
}

func (f *fixture) link(alarm, user string, ttl time.Duration) string {
	s := &Signer{Key: key, Base: f.srv.URL, TTL: ttl}
	return s.Link(alarm, user, f.now)
}

func do(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAckLink(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		link     func(f *fixture) string
		before   func(f *fixture, link string)
		status   int
		page     string
		wantAcks string
	}{
		{name: "valid link acknowledges",
			link:   func(f *fixture) string { return f.link("intrusion/zone-1/1", "zhang", time.Hour) },
			status: 200, page: "Acknowledged", wantAcks: "intrusion/zone-1/1 by zhang"},
		{name: "expired link is refused",
			link:   func(f *fixture) string { return f.link("a/b/1", "zhang", time.Minute) },
			before: func(f *fixture, _ string) { f.now = f.now.Add(2 * time.Minute) },
			status: 410, page: "expired"},
		{name: "reused link is refused",
			link: func(f *fixture) string { return f.link("a/b/1", "zhang", time.Hour) },
			before: func(f *fixture, link string) {
				if code, _ := do(t, "POST", link); code != 200 {
					t.Fatalf("first use: %d", code)
				}
				f.acker.acks = nil
			},
			status: 409, page: "already used"},
		{name: "tampered user is refused",
			link: func(f *fixture) string {
				l := f.link("a/b/1", "zhang", time.Hour)
				c, _ := Parse(key, l[strings.LastIndex(l, "/")+1:], f.now)
				c.User = "boss"
				forged := Sign([]byte("wrong key"), c)
				return f.srv.URL + "/ack/" + forged
			},
			status: 403, page: "signature"},
		{name: "truncated link is refused",
			link:   func(f *fixture) string { l := f.link("a/b/1", "zhang", time.Hour); return l[:len(l)-5] },
			status: 403, page: "signature"},
		{name: "garbage is refused",
			link:   func(f *fixture) string { return f.srv.URL + "/ack/not-a-token" },
			status: 400, page: "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, t.TempDir(), t0)
			l := tt.link(f)
			if tt.before != nil {
				tt.before(f, l)
			}
			code, body := do(t, "POST", l)
			if code != tt.status || !strings.Contains(body, tt.page) {
				t.Errorf("POST = %d %q, want %d with %q", code, body, tt.status, tt.page)
			}
			if got := f.acker.list(); got != tt.wantAcks {
				t.Errorf("acks = %q, want %q", got, tt.wantAcks)
			}
		})
	}
}

func TestConfirmPageChangesNothing(t *testing.T) {
	f := newFixture(t, t.TempDir(), time.Now())
	l := f.link("a/b/1", "zhang", time.Hour)
	code, body := do(t, "GET", l)
	if code != 200 || !strings.Contains(body, `<form method="post">`) || !strings.Contains(body, "zhang") {
		t.Fatalf("GET = %d %q", code, body)
	}
	if f.acker.list() != "" {
		t.Fatal("GET acknowledged")
	}
}

func TestReusedAfterRestart(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	f := newFixture(t, dir, now)
	l := f.link("a/b/1", "zhang", time.Hour)
	if code, _ := do(t, "POST", l); code != 200 {
		t.Fatalf("first use: %d", code)
	}
	f.srv.Close()
	f.store.Close()
	g := newFixture(t, dir, now)
	l2 := g.srv.URL + l[len(f.srv.URL):]
	if code, body := do(t, "POST", l2); code != 409 {
		t.Fatalf("after restart: %d %q", code, body)
	}
	if g.acker.list() != "" {
		t.Fatal("reused link acknowledged after restart")
	}
}

func TestFailedAckLeavesLinkUsable(t *testing.T) {
	f := newFixture(t, t.TempDir(), time.Now())
	l := f.link("a/b/1", "zhang", time.Hour)
	f.acker.fail = errors.New("alarm a/b/1 not active")
	if code, _ := do(t, "POST", l); code != 409 {
		t.Fatalf("failed ack: %d", code)
	}
	f.acker.fail = nil
	if code, _ := do(t, "POST", l); code != 200 {
		t.Fatalf("retry: %d", code)
	}
}

func FuzzParse(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	f.Add(Sign(key, Claims{Alarm: "a/b/1", User: "zhang", Expires: now.Unix() + 60, Nonce: "n"}))
	f.Add("")
	f.Add(".")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := Parse(key, token, now)
		if err != nil {
			return
		}
		if c.Alarm == "" || c.User == "" || c.Nonce == "" || c.Expires <= now.Unix() {
			t.Fatalf("accepted incomplete claims %+v", c)
		}
		if Sign(key, c) != token {
			// A valid token must be exactly what Sign makes of its claims
			// (no second encoding of the same claims is accepted) unless
			// the JSON spelled them differently; the MAC still covers it.
			if _, err := Parse([]byte("other"), token, now); err == nil {
				t.Fatal("token valid under two keys")
			}
		}
	})
}
