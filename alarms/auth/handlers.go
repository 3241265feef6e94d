package auth

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"
)

// Mount registers the session endpoints: POST /api/v1/session/login,
// /logout, /unlock, /activity and GET /api/v1/session.
func (g *Guard) Mount(handle func(pattern string, h http.Handler)) {
	handle("POST /api/v1/session/login", http.HandlerFunc(g.serveLogin))
	handle("POST /api/v1/session/logout", http.HandlerFunc(g.serveLogout))
	handle("POST /api/v1/session/unlock", http.HandlerFunc(g.serveUnlock))
	handle("POST /api/v1/session/activity", http.HandlerFunc(g.serveActivity))
	handle("GET /api/v1/session", http.HandlerFunc(g.serveSession))
}

// SessionInfo is the body of GET /api/v1/session and of a login.
type SessionInfo struct {
	User string `json:"user"`
	Role Role   `json:"role"`
	Via  string `json:"via"`
	// CSRF is the token to send in X-CSRF-Token (sessions only).
	CSRF string `json:"csrf,omitempty"`
	// Locked says the session is idle-locked.
	Locked bool `json:"locked"`
	// IdleLockSeconds is the idle time after which the console locks.
	IdleLockSeconds int `json:"idle_lock_seconds"`
}

type credentials struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// readJSON decodes a small JSON body strictly; it answers the error itself.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "body must be application/json")
		return false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

func (g *Guard) serveLogin(w http.ResponseWriter, r *http.Request) {
	if site := r.Header.Get("Sec-Fetch-Site"); (site != "" && site != "same-origin" && site != "none") || !sameOrigin(r) {
		g.refuse(w, r, http.StatusForbidden, "cross-site login refused")
		return
	}
	var c credentials
	if !readJSON(w, r, &c) {
		return
	}
	u, why := g.checkLogin(r, c.User, c.Password)
	if why != "" {
		g.answerFailure(w, r, why)
		return
	}
	now := g.o.Clock()
	s := g.sessions.create(u, now)
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: s.ID, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(g.o.SessionMaxAge / time.Second),
	})
	g.o.Logger.Info("login", "user", u.Name, "role", u.Role.String(), "client", clientIP(r))
	writeJSON(w, http.StatusOK, g.info(Identity{User: u.Name, Role: u.Role, Via: "session"}, s, now))
}

// errThrottled marks a refusal because of too many failures.
var errThrottled = errors.New("too many failed attempts")

func (g *Guard) answerFailure(w http.ResponseWriter, r *http.Request, why string) {
	if d, ok := g.throttledFor(r, why); ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds())+1))
		g.refuse(w, r, http.StatusTooManyRequests, why)
		return
	}
	g.refuse(w, r, http.StatusUnauthorized, why)
}

func (g *Guard) throttledFor(r *http.Request, why string) (time.Duration, bool) {
	if why != errThrottled.Error() {
		return 0, false
	}
	return g.throttle.wait("ip:"+clientIP(r), g.o.Clock()), true
}

// checkLogin checks a password, throttled per client address and per
// user name from that address; why is "" on success. Failures from one
// address never slow the operator's login from another: in a control
// room a lockout is itself a risk.
func (g *Guard) checkLogin(r *http.Request, name, pw string) (User, string) {
	now := g.o.Clock()
	ip := clientIP(r)
	keys := []string{"user:" + name + "@" + ip, "ip:" + ip}
	for _, k := range keys {
		if g.throttle.wait(k, now) > 0 {
			g.m.logins.WithLabelValues("throttled").Inc()
			return User{}, errThrottled.Error()
		}
	}
	if g.o.Store.Empty() {
		return User{}, "no users yet: create one with `facmon user add NAME --role admin`"
	}
	u, ok := g.o.Store.Authenticate(name, pw)
	if !ok {
		for _, k := range keys {
			g.throttle.fail(k, now)
		}
		g.m.logins.WithLabelValues("failed").Inc()
		g.o.Logger.Warn("password refused", "user", name, "client", clientIP(r))
		return User{}, "wrong user name or password"
	}
	for _, k := range keys {
		g.throttle.ok(k)
	}
	g.m.logins.WithLabelValues("ok").Inc()
	return u, ""
}

// CheckPassword checks user's password again before a sensitive action (a
// disarm), throttled like a login. It is the lifecycle's PasswordChecker.
func (g *Guard) CheckPassword(user, password string) bool {
	now := g.o.Clock()
	key := "user:" + user
	if g.throttle.wait(key, now) > 0 {
		g.m.logins.WithLabelValues("throttled").Inc()
		return false
	}
	if _, ok := g.o.Store.Authenticate(user, password); !ok {
		g.throttle.fail(key, now)
		g.m.logins.WithLabelValues("failed").Inc()
		return false
	}
	g.throttle.ok(key)
	g.m.logins.WithLabelValues("ok").Inc()
	return true
}

func (g *Guard) serveLogout(w http.ResponseWriter, r *http.Request) {
	if id, ok := IdentityFrom(r.Context()); ok && id.Via == "session" {
		g.sessions.end(id.Session)
		g.o.Logger.Info("logout", "user", id.User)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (g *Guard) serveUnlock(w http.ResponseWriter, r *http.Request) {
	id, ok := IdentityFrom(r.Context())
	if !ok || id.Via != "session" {
		writeError(w, http.StatusBadRequest, "only a console session can be unlocked")
		return
	}
	var body struct {
		Password string `json:"password"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if _, why := g.checkLogin(r, id.User, body.Password); why != "" {
		g.answerFailure(w, r, why)
		return
	}
	now := g.o.Clock()
	g.sessions.act(id.Session, now)
	s, _ := g.sessions.get(id.Session, now)
	writeJSON(w, http.StatusOK, g.info(id, s, now))
}

func (g *Guard) serveActivity(w http.ResponseWriter, r *http.Request) {
	// The guard has already recorded the presence (checkChange).
	w.WriteHeader(http.StatusNoContent)
}

func (g *Guard) serveSession(w http.ResponseWriter, r *http.Request) {
	id, ok := IdentityFrom(r.Context())
	if !ok {
		writeError(w, http.StatusUnauthorized, "login required")
		return
	}
	now := g.o.Clock()
	s, _ := g.sessions.get(id.Session, now)
	writeJSON(w, http.StatusOK, g.info(id, s, now))
}

func (g *Guard) info(id Identity, s Session, now time.Time) SessionInfo {
	i := SessionInfo{User: id.User, Role: id.Role, Via: id.Via, IdleLockSeconds: int(g.idleLock() / time.Second)}
	if id.Via == "session" {
		i.CSRF = s.CSRF
		i.Locked = s.Locked(now, g.idleLock())
	}
	return i
}

// EndSessions logs a user out everywhere (after a password or role change).
func (g *Guard) EndSessions(user string) { g.sessions.endUser(user) }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
