package auth

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// streamFixture serves /api/v1/events as a handler that blocks until its
// request's context ends, like the SSE stream.
func streamFixture(t *testing.T) (*fixture, *httptest.Server) {
	f := newFixture(t)
	mux := http.NewServeMux()
	f.guard.Mount(mux.Handle)
	f.guard.MountUsers(mux.Handle)
	mux.Handle("GET /api/v1/events", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	mux.Handle("GET /api/v1/alarms", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := IdentityFrom(r.Context())
		fmt.Fprint(w, id.User, " ", id.Role)
	}))
	srv := httptest.NewServer(f.guard.Wrap(mux))
	t.Cleanup(srv.Close)
	return f, srv
}

// openStream opens the event stream with auth and returns a channel
// closed when the server ends it.
func openStream(t *testing.T, url string, auth func(*http.Request)) <-chan struct{} {
	t.Helper()
	r, _ := http.NewRequest("GET", url+"/api/v1/events", nil)
	auth(r)
	resp, err := http.DefaultClient.Do(r)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("open stream: %v %v", err, resp)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		var b [64]byte
		for {
			if _, err := resp.Body.Read(b[:]); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return done
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-time.After(10 * time.Second):
		return false
	}
}

func get(t *testing.T, url string, auth func(*http.Request)) (int, string) {
	t.Helper()
	r, _ := http.NewRequest("GET", url+"/api/v1/alarms", nil)
	auth(r)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b [256]byte
	n, _ := resp.Body.Read(b[:])
	return resp.StatusCode, string(b[:n])
}

// TestSessionsFollowTheUserFile: another process (the CLI) changes the
// users file; after ReloadUsers the changed user's sessions and streams
// end, an untouched user's stay.
func TestSessionsFollowTheUserFile(t *testing.T) {
	f, srv := streamFixture(t)
	engCookie, _ := f.login(t, "eng")
	opCookie, _ := f.login(t, "op")
	asEng := func(r *http.Request) { r.AddCookie(engCookie) }
	asOp := func(r *http.Request) { r.AddCookie(opCookie) }
	engStream := openStream(t, srv.URL, asEng)
	opStream := openStream(t, srv.URL, asOp)
	if code, body := get(t, srv.URL, asEng); code != 200 || body != "eng engineer" {
		t.Fatalf("engineer before: %d %q", code, body)
	}
	cli, err := Open(f.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	cli.SetCost(bcrypt.MinCost)
	if err := cli.Put("eng", Operator, "a-new-password"); err != nil {
		t.Fatal(err)
	}
	if err := f.guard.ReloadUsers(); err != nil {
		t.Fatal(err)
	}
	if !closed(engStream) {
		t.Fatal("the changed user's event stream still open")
	}
	if code, _ := get(t, srv.URL, asEng); code != 401 {
		t.Fatalf("old cookie after the change: %d, want 401", code)
	}
	if code, body := get(t, srv.URL, asOp); code != 200 || body != "op operator" {
		t.Fatalf("untouched user: %d %q", code, body)
	}
	select {
	case <-opStream:
		t.Fatal("the untouched user's stream was closed")
	default:
	}
	if err := cli.Remove("op"); err != nil {
		t.Fatal(err)
	}
	if err := f.guard.ReloadUsers(); err != nil {
		t.Fatal(err)
	}
	if !closed(opStream) {
		t.Fatal("a removed user's event stream still open")
	}
	if code, _ := get(t, srv.URL, asOp); code != 401 {
		t.Fatalf("removed user's cookie: %d", code)
	}
}

// TestSessionEndsAfterARestartWithAChangedUser is the scenario:
// sessions kept across a restart are checked against the store as it is
// at the next request.
func TestSessionEndsAfterARestartWithAChangedUser(t *testing.T) {
	f := newFixture(t)
	file := t.TempDir() + "/sessions.json"
	g := New(Options{Store: f.store, Clock: f.clock.Now, SessionFile: file})
	u, _ := f.store.Lookup("eng")
	s := g.sessions.create(u, f.clock.Now())
	if err := f.store.Put("eng", Operator, "changed-password"); err != nil {
		t.Fatal(err)
	}
	again := New(Options{Store: f.store, Clock: f.clock.Now, SessionFile: file})
	r := req("GET", "/api/v1/alarms", "")
	r.AddCookie(&http.Cookie{Name: CookieName, Value: s.ID})
	if _, _, err := again.identify(r); err == nil {
		t.Fatal("a session of the engineer acts after the user became an operator")
	}
}

// TestLogoutClosesTheSessionsStreams.
func TestLogoutClosesTheSessionsStreams(t *testing.T) {
	f, srv := streamFixture(t)
	c, csrf := f.login(t, "op")
	stream := openStream(t, srv.URL, func(r *http.Request) { r.AddCookie(c) })
	r, _ := http.NewRequest("POST", srv.URL+"/api/v1/session/logout", nil)
	r.AddCookie(c)
	r.Header.Set(CSRFHeader, csrf)
	resp, err := http.DefaultClient.Do(r)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("logout: %v %v", err, resp)
	}
	resp.Body.Close()
	if !closed(stream) {
		t.Fatal("event stream still open after logout")
	}
}

// TestTokensExpireNarrowAndRevoke.
func TestTokensExpireNarrowAndRevoke(t *testing.T) {
	f, srv := streamFixture(t)
	now := f.clock.Now()
	_, short, err := f.store.CreateToken("adm", TokenOptions{Expires: now.Add(time.Hour)}, now)
	if err != nil {
		t.Fatal(err)
	}
	_, narrow, err := f.store.CreateToken("adm", TokenOptions{Role: Operator}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.store.CreateToken("op", TokenOptions{Role: Admin}, now); err == nil {
		t.Fatal("a token above its user's role was made")
	}
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	if code, body := get(t, srv.URL, bearer(narrow)); code != 200 || body != "adm operator" {
		t.Fatalf("narrowed token: %d %q", code, body)
	}
	if code, body := get(t, srv.URL, bearer(short)); code != 200 || body != "adm admin" {
		t.Fatalf("token before expiry: %d %q", code, body)
	}
	f.clock.Add(time.Hour)
	if code, _ := get(t, srv.URL, bearer(short)); code != 401 {
		t.Fatalf("expired token: %d", code)
	}
	stream := openStream(t, srv.URL, bearer(narrow))
	_, tok, _ := f.store.TokenUser(narrow, f.clock.Now())
	cli, _ := Open(f.store.Path())
	if err := cli.RevokeToken(tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.guard.ReloadUsers(); err != nil {
		t.Fatal(err)
	}
	if !closed(stream) {
		t.Fatal("a revoked token's stream still open")
	}
	if code, _ := get(t, srv.URL, bearer(narrow)); code != 401 {
		t.Fatalf("revoked token: %d", code)
	}
}

// TestTwoWritersLoseNothing: a running service's store and the CLI's
// write the same file at once; every user and token of both is kept.
func TestTwoWritersLoseNothing(t *testing.T) {
	path := t.TempDir() + "/users.json"
	a, _ := Open(path)
	b, _ := Open(path)
	a.SetCost(bcrypt.MinCost)
	b.SetCost(bcrypt.MinCost)
	if err := a.Put("root-user", Admin, "long-enough"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := a.Put(fmt.Sprintf("svc-%d", i), Operator, "long-enough"); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, _, err := b.CreateToken("root-user", TokenOptions{Note: fmt.Sprint(i)}, time.Now()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	final, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if n, m := len(final.Users()), len(final.Tokens()); n != 21 || m != 20 {
		t.Fatalf("file holds %d users and %d tokens, want 21 and 20", n, m)
	}
}

// TestMetricsNeedAUserOrTheScrapeToken: /metrics is closed by default; the
// scrape token opens it and nothing else.
func TestMetricsNeedAUserOrTheScrapeToken(t *testing.T) {
	f := newFixture(t)
	const scrape = "scrape-token-of-thirty-two-bytes-at-least"
	g := New(Options{Store: f.store, Clock: f.clock.Now, ScrapeToken: scrape})
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.Handle("GET /metrics", ok)
	mux.Handle("GET /healthz", ok)
	mux.Handle("GET /api/v1/alarms", ok)
	srv := g.Wrap(mux)
	for _, tc := range []struct {
		name, path, auth string
		code             int
	}{
		{"metrics without credentials", "/metrics", "", 401},
		{"health stays open", "/healthz", "", 200},
		{"metrics with the scrape token", "/metrics", "Bearer " + scrape, 200},
		{"metrics with a wrong token", "/metrics", "Bearer " + scrape + "x", 401},
		{"API with the scrape token", "/api/v1/alarms", "Bearer " + scrape, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", tc.path, "")
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, r)
			if rec.Code != tc.code {
				t.Fatalf("%d, want %d", rec.Code, tc.code)
			}
		})
	}
	r := req("GET", "/metrics", "")
	r.SetBasicAuth("op", "op-password")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Fatalf("metrics as an operator: %d", rec.Code)
	}
}
