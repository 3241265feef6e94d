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
	u, err := g.checkLogin(r, c.User, c.Password)
	if err != nil {
		g.answerFailure(w, r, err)
		return
	}
	now := g.o.Clock()
	s := g.sessions.create(u, now)
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: s.ID, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(g.o.SessionMaxAge / time.Second),
	})
	g.o.Logger.Info("login", "user", u.Name, "role", u.Role.String(), "client", clientIP(r))
	writeJSON(w, http.StatusOK, g.info(Identity{User: u.Name, Role: u.Role, Via: "session", Session: s.ID}, s, now))
}

// throttledError is a refusal because of too many failed attempts.
type throttledError struct{ wait time.Duration }

func (e *throttledError) Error() string { return "too many failed attempts: try again later" }

// Limits of the password throttle: a client address may fail 5 times, then
// waits double from 1 s to 15 min; an account (from every address
// together, and its disarm and bypass passwords) may fail 10 times, then
// waits double up to 5 min — short, because locking an operator out of
// the control room is itself a risk.
var (
	addressLimit = limit{free: 5, max: 15 * time.Minute}
	accountLimit = limit{free: 10, max: 5 * time.Minute}
)

// throttleCap bounds the throttle's table.
const throttleCap = 100_000

func (g *Guard) answerFailure(w http.ResponseWriter, r *http.Request, err error) {
	var te *throttledError
	if errors.As(err, &te) {
		w.Header().Set("Retry-After", strconv.Itoa(int(te.wait.Seconds())+1))
		g.refuse(w, r, http.StatusTooManyRequests, err.Error())
		return
	}
	g.refuse(w, r, http.StatusUnauthorized, err.Error())
}

// checkLogin checks a password, throttled per client address and per
// account. The attempt is reserved before bcrypt runs.
func (g *Guard) checkLogin(r *http.Request, name, pw string) (User, error) {
	if g.o.Store.Empty() {
		return User{}, errors.New("no users yet: create one with `facmon user add NAME --role admin`")
	}
	u, err := g.checkPassword(name, pw, throttleKey{"ip:" + clientIP(r), addressLimit})
	if err != nil {
		g.o.Logger.Warn("password refused", "user", name, "client", clientIP(r), "reason", err.Error())
	}
	return u, err
}

// checkPassword reserves an attempt on the account and the extra keys,
// then checks the password with bcrypt.
func (g *Guard) checkPassword(name, pw string, extra ...throttleKey) (User, error) {
	now := g.o.Clock()
	keys := append([]throttleKey{{"account:" + name, accountLimit}}, extra...)
	a, wait := g.throttle.reserve(now, keys...)
	if a == nil {
		g.m.logins.WithLabelValues("throttled").Inc()
		return User{}, &throttledError{wait: wait}
	}
	u, ok := g.o.Store.Authenticate(name, pw)
	if !ok {
		a.fail(g.o.Clock())
		g.m.logins.WithLabelValues("failed").Inc()
		return User{}, errors.New("wrong user name or password")
	}
	a.ok()
	g.m.logins.WithLabelValues("ok").Inc()
	return u, nil
}

// CheckPassword checks user's password again before a sensitive action (a
// disarm or a bypass), throttled with the account's logins. It is the
// lifecycle's PasswordChecker.
func (g *Guard) CheckPassword(user, password string) bool {
	_, err := g.checkPassword(user, password)
	return err == nil
}

func (g *Guard) serveLogout(w http.ResponseWriter, r *http.Request) {
	if id, ok := IdentityFrom(r.Context()); ok && id.Via == "session" {
		g.endSession(id.Session)
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
	if _, err := g.checkLogin(r, id.User, body.Password); err != nil {
		g.answerFailure(w, r, err)
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

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
