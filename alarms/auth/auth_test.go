package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"facmon/internal/testsupport"
)

type fixture struct {
	store *Store
	clock *testsupport.Clock
	guard *Guard
	srv   http.Handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := Open(filepath.Join(t.TempDir(), "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	st.SetCost(bcrypt.MinCost)
	for _, u := range []struct {
		name string
		role Role
	}{{"op", Operator}, {"eng", Engineer}, {"adm", Admin}} {
		if err := st.Put(u.name, u.role, u.name+"-password"); err != nil {
			t.Fatal(err)
		}
	}
	clk := testsupport.NewClock(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC))
	g := New(Options{Store: st, Clock: clk.Now, IdleLock: 10 * time.Minute})
	mux := http.NewServeMux()
	g.Mount(mux.Handle)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(UserOf(r))) })
	mux.Handle("GET /api/v1/alarms", ok)
	mux.Handle("POST /api/v1/alarms/{id}/ack", ok)
	mux.Handle("POST /api/v1/alarms/{id}/shelve", ok)
	mux.Handle("GET /healthz", ok)
	mux.Handle("GET /", ok)
	return &fixture{store: st, clock: clk, guard: g, srv: g.Wrap(mux)}
}

// login logs in and returns the cookie and the CSRF token.
func (f *fixture) login(t *testing.T, user string) (*http.Cookie, string) {
	t.Helper()
	rec := f.do(req("POST", "/api/v1/session/login", `{"user":"`+user+`","password":"`+user+`-password"}`))
	if rec.Code != 200 {
		t.Fatalf("login %s: %d %s", user, rec.Code, rec.Body)
	}
	var info SessionInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	return rec.Result().Cookies()[0], info.CSRF
}

func (f *fixture) do(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, r)
	return rec
}

func req(method, path, body string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

func TestCookieSessionRules(t *testing.T) {
	f := newFixture(t)
	opCookie, opCSRF := f.login(t, "op")
	engCookie, engCSRF := f.login(t, "eng")
	with := func(r *http.Request, c *http.Cookie, csrf string) *http.Request {
		r.AddCookie(c)
		if csrf != "" {
			r.Header.Set(CSRFHeader, csrf)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		r    *http.Request
		code int
	}{
		{"open health", req("GET", "/healthz", ""), 200},
		{"open console page", req("GET", "/", ""), 200},
		{"API without login", req("GET", "/api/v1/alarms", ""), 401},
		{"API with session", with(req("GET", "/api/v1/alarms", ""), opCookie, ""), 200},
		{"ack without CSRF", with(req("POST", "/api/v1/alarms/a/ack", ""), opCookie, ""), 403},
		{"ack with wrong CSRF", with(req("POST", "/api/v1/alarms/a/ack", ""), opCookie, engCSRF), 403},
		{"ack with CSRF", with(req("POST", "/api/v1/alarms/a/ack", ""), opCookie, opCSRF), 200},
		{"operator shelve", with(req("POST", "/api/v1/alarms/a/shelve", "{}"), opCookie, opCSRF), 403},
		{"engineer shelve", with(req("POST", "/api/v1/alarms/a/shelve", "{}"), engCookie, engCSRF), 200},
		{"cross-site ack", func() *http.Request {
			r := with(req("POST", "/api/v1/alarms/a/ack", ""), opCookie, opCSRF)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			return r
		}(), 403},
		{"other origin", func() *http.Request {
			r := with(req("POST", "/api/v1/alarms/a/ack", ""), opCookie, opCSRF)
			r.Header.Set("Origin", "http://evil.example")
			return r
		}(), 403},
		{"forged cookie", with(req("GET", "/api/v1/alarms", ""), &http.Cookie{Name: CookieName, Value: "x"}, ""), 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if rec := f.do(tc.r); rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
		})
	}
}

func TestCookieAttributes(t *testing.T) {
	f := newFixture(t)
	c, _ := f.login(t, "op")
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Fatalf("cookie %+v", c)
	}
	r := req("POST", "/api/v1/session/login", `{"user":"op","password":"op-password"}`)
	r.TLS = &tlsState
	if c := f.do(r).Result().Cookies()[0]; !c.Secure {
		t.Fatal("cookie not Secure under TLS")
	}
}

func TestIdleLock(t *testing.T) {
	f := newFixture(t)
	c, csrf := f.login(t, "op")
	post := func(path, body string) int {
		r := req("POST", path, body)
		r.AddCookie(c)
		r.Header.Set(CSRFHeader, csrf)
		return f.do(r).Code
	}
	get := func() int {
		r := req("GET", "/api/v1/alarms", "")
		r.AddCookie(c)
		return f.do(r).Code
	}
	f.clock.Add(9 * time.Minute)
	if code := post("/api/v1/session/activity", ""); code != 204 {
		t.Fatalf("activity: %d", code)
	}
	f.clock.Add(9 * time.Minute)
	if code := post("/api/v1/alarms/a/ack", ""); code != 200 {
		t.Fatalf("ack before the lock: %d", code)
	}
	f.clock.Add(11 * time.Minute)
	steps := []struct {
		name string
		do   func() int
		want int
	}{
		{"locked session still sees alarms", get, 200},
		{"locked session cannot act", func() int { return post("/api/v1/alarms/a/ack", "") }, 423},
		{"wrong password does not unlock", func() int { return post("/api/v1/session/unlock", `{"password":"nope"}`) }, 401},
		{"password unlocks", func() int { return post("/api/v1/session/unlock", `{"password":"op-password"}`) }, 200},
		{"unlocked session acts", func() int { return post("/api/v1/alarms/a/ack", "") }, 200},
	}
	for _, s := range steps {
		if got := s.do(); got != s.want {
			t.Fatalf("%s: %d, want %d", s.name, got, s.want)
		}
	}
}

func TestLoginThrottling(t *testing.T) {
	f := newFixture(t)
	bad := func() int {
		return f.do(req("POST", "/api/v1/session/login", `{"user":"op","password":"wrong-guess"}`)).Code
	}
	for i := range 5 {
		if code := bad(); code != 401 {
			t.Fatalf("attempt %d: %d", i+1, code)
		}
	}
	rec := f.do(req("POST", "/api/v1/session/login", `{"user":"op","password":"op-password"}`))
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("right password while throttled: %d %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	other := req("POST", "/api/v1/session/login", `{"user":"op","password":"op-password"}`)
	other.RemoteAddr = "192.0.2.77:4000"
	if code := f.do(other).Code; code != 200 {
		t.Fatalf("login from another address while the first is throttled: %d", code)
	}
	f.clock.Add(2 * time.Second)
	f.login(t, "op")
}

func TestAPICredentials(t *testing.T) {
	f := newFixture(t)
	_, tok, err := f.store.CreateToken("eng", TokenOptions{Note: "script"}, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		auth func(*http.Request)
		path string
		code int
		user string
	}{
		{"basic", func(r *http.Request) { r.SetBasicAuth("op", "op-password") }, "/api/v1/alarms/a/ack", 200, "op"},
		{"basic wrong", func(r *http.Request) { r.SetBasicAuth("op", "bad-password") }, "/api/v1/alarms/a/ack", 401, ""},
		{"basic operator shelve", func(r *http.Request) { r.SetBasicAuth("op", "op-password") }, "/api/v1/alarms/a/shelve", 403, ""},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, "/api/v1/alarms/a/shelve", 200, "eng"},
		{"bearer wrong", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok+"x") }, "/api/v1/alarms/a/ack", 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := req("POST", tc.path, "")
			tc.auth(r)
			rec := f.do(r)
			if rec.Code != tc.code || (tc.user != "" && rec.Body.String() != tc.user) {
				t.Fatalf("%d %q, want %d %q", rec.Code, rec.Body, tc.code, tc.user)
			}
		})
	}
	reopened, err := Open(f.store.path)
	if err != nil {
		t.Fatal(err)
	}
	if u, _, ok := reopened.TokenUser(tok, f.clock.Now()); !ok || u.Name != "eng" {
		t.Fatal("token lost across a reopen")
	}
}

func TestPasswordRules(t *testing.T) {
	st, _ := Open(filepath.Join(t.TempDir(), "u.json"))
	st.SetCost(bcrypt.MinCost)
	for _, tc := range []struct {
		name, user, pw string
		ok             bool
	}{
		{"short", "a", "short", false},
		{"too long for bcrypt", "a", strings.Repeat("x", 73), false},
		{"bad name", "a b", "long-enough", false},
		{"chinese password", "a", "值班员密码很长的", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := st.Put(tc.user, Operator, tc.pw); (err == nil) != tc.ok {
				t.Fatalf("err %v", err)
			}
		})
	}
	if !st.CheckPassword("a", "值班员密码很长的") || st.CheckPassword("a", "值班员密码很长") {
		t.Fatal("password check")
	}
}

func TestSessionsSurviveARestart(t *testing.T) {
	f := newFixture(t)
	file := filepath.Join(t.TempDir(), "sessions.json")
	g := New(Options{Store: f.store, Clock: f.clock.Now, SessionFile: file})
	s := g.sessions.create(User{Name: "op", Role: Operator}, f.clock.Now())
	again := New(Options{Store: f.store, Clock: f.clock.Now, SessionFile: file})
	got, ok := again.sessions.get(s.ID, f.clock.Now())
	if !ok || got.User != "op" || got.CSRF != s.CSRF {
		t.Fatalf("session after restart: %+v %v", got, ok)
	}
	again.sessions.end(s.ID)
	third := New(Options{Store: f.store, Clock: f.clock.Now, SessionFile: file})
	if _, ok := third.sessions.get(s.ID, f.clock.Now()); ok {
		t.Fatal("ended session came back")
	}
}

func TestUsersAPIIsForAdmins(t *testing.T) {
	f := newFixture(t)
	mux := http.NewServeMux()
	f.guard.MountUsers(mux.Handle)
	srv := f.guard.Wrap(mux)
	for _, tc := range []struct {
		name, user, method, body string
		code                     int
	}{
		{"operator lists", "op", "GET", "", 403},
		{"engineer adds", "eng", "POST", `{"name":"x","role":"admin","password":"long-enough"}`, 403},
		{"admin lists", "adm", "GET", "", 200},
		{"admin adds", "adm", "POST", `{"name":"new","role":"operator","password":"long-enough"}`, 200},
		{"admin short password", "adm", "POST", `{"name":"new","role":"operator","password":"short"}`, 400},
		{"admin bad role", "adm", "POST", `{"name":"new","role":"root","password":"long-enough"}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := req(tc.method, "/api/v1/users", tc.body)
			r.SetBasicAuth(tc.user, tc.user+"-password")
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, r)
			if rec.Code != tc.code || strings.Contains(rec.Body.String(), "$2a$") {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
		})
	}
}
