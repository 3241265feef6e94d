package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// CookieName is the session cookie.
const CookieName = "facmon_session"

// CSRFHeader carries the session's CSRF token on every state change.
const CSRFHeader = "X-CSRF-Token"

// Options configure a Guard.
type Options struct {
	Store *Store
	// Clock is the time source; time.Now if nil.
	Clock func() time.Time
	// IdleLock locks a session after this long without the operator's
	// presence (default 10 min; negative: never).
	IdleLock time.Duration
	// SessionMaxAge ends a session this long after login (default 12 h, a
	// shift).
	SessionMaxAge time.Duration
	// Open are paths served without login for GET (default /healthz,
	// /readyz; the site file's public_metrics adds /metrics).
	Open []string
	// ScrapeToken is a bearer token that may GET /metrics and nothing else
	// (Prometheus); empty: none.
	ScrapeToken string
	// Policy says which role a request needs; DefaultPolicy if nil.
	Policy func(method, path string) Role
	// SessionFile keeps the sessions across restarts (empty: in memory
	// only).
	SessionFile string
	// Registerer takes the guard's metrics (nil: not registered).
	Registerer prometheus.Registerer
	// Logger gets the security events (logins, refusals), never a secret.
	Logger *slog.Logger
}

// Identity is who made a request and how they proved it.
type Identity struct {
	User string
	Role Role
	// Via is "session", "basic" or "token".
	Via string
	// Session is the session id when Via is "session".
	Session string
	// Token is the token id when Via is "token".
	Token string
	// stamp is the user's Stamp when the request was identified.
	stamp string
}

type identityKey struct{}

// IdentityFrom returns the request's identity, if it has one.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// UserOf is the name of the request's user, or "" — the resolver the
// alarm board and the zone actions take.
func UserOf(r *http.Request) string {
	id, _ := IdentityFrom(r.Context())
	return id.User
}

// Guard authenticates and authorises every request.
type Guard struct {
	o        Options
	sessions *sessions
	throttle *throttle
	m        *metrics

	basicMu    sync.Mutex
	basicCache map[[32]byte]basicEntry

	streams streams
}

type basicEntry struct {
	user  User
	until time.Time
}

// New builds a guard.
func New(o Options) *Guard {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.IdleLock == 0 {
		o.IdleLock = 10 * time.Minute
	}
	if o.SessionMaxAge <= 0 {
		o.SessionMaxAge = 12 * time.Hour
	}
	if o.Open == nil {
		o.Open = []string{"/healthz", "/readyz"}
	}
	if o.Policy == nil {
		o.Policy = DefaultPolicy
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ss := newSessions(o.SessionMaxAge, o.SessionFile)
	if err := ss.load(); err != nil {
		o.Logger.Warn("sessions not restored: everyone logs in again", "file", o.SessionFile, "err", err)
	}
	return &Guard{o: o, sessions: ss, throttle: newThrottle(throttleCap),
		m: newMetrics(o.Registerer), basicCache: map[[32]byte]basicEntry{}, streams: streams{m: map[*stream]struct{}{}}}
}

// idleLock is the configured lock time, 0 for never.
func (g *Guard) idleLock() time.Duration { return max(g.o.IdleLock, 0) }

// Wrap puts the guard in front of next.
func (g *Guard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		need := g.need(r)
		if need == NoRole {
			next.ServeHTTP(w, r)
			return
		}
		id, sess, err := g.identify(r)
		if err != nil {
			g.answerFailure(w, r, err)
			return
		}
		if id.Via == "scrape" && (r.URL.Path != "/metrics" || !safeMethod(r.Method)) {
			g.refuse(w, r, http.StatusForbidden, "the scrape token reads /metrics only")
			return
		}
		if id.Role < need {
			g.refuse(w, r, http.StatusForbidden, "needs the "+need.String()+" role")
			return
		}
		if !safeMethod(r.Method) {
			if code, why := g.checkChange(r, id, sess); code != 0 {
				g.refuse(w, r, code, why)
				return
			}
		}
		// The request ends when its credentials do (logout, a password or
		// role change, a removed user, a revoked token): an open event
		// stream stops delivering at once.
		ctx, end := g.streams.open(r.Context(), id)
		defer end()
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, identityKey{}, id)))
	})
}

// need is the role a request needs; NoRole means open.
func (g *Guard) need(r *http.Request) Role {
	if safeMethod(r.Method) {
		for _, p := range g.o.Open {
			if r.URL.Path == p {
				return NoRole
			}
		}
	}
	return g.o.Policy(r.Method, r.URL.Path)
}

// DefaultPolicy is facmon's role table: the console's page and assets and
// the login are open; every API call needs a user; shelving and
// out-of-service need an engineer (篇3·二十二: operators handle, engineers
// change what is watched); user management needs an admin.
func DefaultPolicy(method, path string) Role {
	switch {
	case safeMethod(method) && (path == "/" || path == "/favicon.ico" || strings.HasPrefix(path, "/assets/")):
		return NoRole
	case method == http.MethodPost && path == "/api/v1/session/login":
		return NoRole
	case strings.HasPrefix(path, "/ack/"):
		// A duty person's signed, expiring, single-use ack link from the
		// phone: the token is the credential (alarms/notify/acklink).
		return NoRole
	case strings.HasPrefix(path, "/api/v1/users"):
		return Admin
	case method == http.MethodPost && hasAnySuffix(path, "/shelve", "/unshelve", "/out-of-service", "/in-service"):
		return Engineer
	}
	return Operator
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// identify finds the request's user from its session cookie, Basic
// credentials or bearer token; the error says what failed.
func (g *Guard) identify(r *http.Request) (Identity, Session, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		id, err := g.identifyHeader(r, h)
		return id, Session{}, err
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return Identity{}, Session{}, errors.New("login required")
	}
	s, ok := g.sessions.get(c.Value, g.o.Clock())
	if !ok {
		return Identity{}, Session{}, errors.New("session expired: log in again")
	}
	u, ok := g.o.Store.Lookup(s.User)
	if !ok || u.Stamp() != s.Stamp {
		g.endSession(s.ID)
		return Identity{}, Session{}, errors.New("session ended: the user was changed or removed; log in again")
	}
	return Identity{User: u.Name, Role: u.Role, Via: "session", Session: s.ID, stamp: s.Stamp}, s, nil
}

func (g *Guard) identifyHeader(r *http.Request, h string) (Identity, error) {
	scheme, cred, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "bearer":
		cred = strings.TrimSpace(cred)
		if g.o.ScrapeToken != "" && subtle.ConstantTimeCompare([]byte(cred), []byte(g.o.ScrapeToken)) == 1 {
			return Identity{User: "metrics-scrape", Role: Operator, Via: "scrape"}, nil
		}
		u, tok, ok := g.o.Store.TokenUser(cred, g.o.Clock())
		if !ok {
			return Identity{}, errors.New("bad, expired or revoked token")
		}
		return Identity{User: u.Name, Role: u.Role, Via: "token", Token: tok.ID, stamp: u.Stamp()}, nil
	case "basic":
		name, pw, ok := r.BasicAuth()
		if !ok {
			return Identity{}, errors.New("bad basic credentials")
		}
		u, err := g.basic(r, name, pw)
		if err != nil {
			return Identity{}, err
		}
		return Identity{User: u.Name, Role: u.Role, Via: "basic", stamp: u.Stamp()}, nil
	}
	return Identity{}, errors.New("unsupported authorization scheme")
}

// basic checks Basic credentials, throttled like a login; a success is
// remembered for a minute by the credentials' hash so that a script's
// every call does not pay for bcrypt.
func (g *Guard) basic(r *http.Request, name, pw string) (User, error) {
	key := sha256.Sum256([]byte(name + "\x00" + pw))
	now := g.o.Clock()
	g.basicMu.Lock()
	e, ok := g.basicCache[key]
	g.basicMu.Unlock()
	if ok && now.Before(e.until) {
		if u, still := g.o.Store.Lookup(name); still && u.Hash == e.user.Hash {
			return u, nil
		}
	}
	u, err := g.checkLogin(r, name, pw)
	if err != nil {
		return User{}, err
	}
	g.basicMu.Lock()
	if len(g.basicCache) > 1000 {
		clear(g.basicCache)
	}
	g.basicCache[key] = basicEntry{user: u, until: now.Add(time.Minute)}
	g.basicMu.Unlock()
	return u, nil
}

// checkChange applies the rules of a state change: same origin, the CSRF
// token for cookie sessions, and the idle lock.
func (g *Guard) checkChange(r *http.Request, id Identity, s Session) (int, string) {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return http.StatusForbidden, "cross-site request refused"
	}
	if !sameOrigin(r) {
		return http.StatusForbidden, "cross-origin request refused"
	}
	if id.Via != "session" {
		return 0, ""
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(CSRFHeader)), []byte(s.CSRF)) != 1 {
		return http.StatusForbidden, "CSRF token missing or wrong"
	}
	if r.URL.Path == "/api/v1/session/unlock" || r.URL.Path == "/api/v1/session/logout" {
		return 0, ""
	}
	now := g.o.Clock()
	if s.Locked(now, g.idleLock()) {
		return http.StatusLocked, "console locked: enter your password"
	}
	g.sessions.act(s.ID, now)
	return 0, ""
}

// sameOrigin is false when an Origin header names another host.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	_, host, ok := strings.Cut(o, "://")
	return ok && strings.EqualFold(host, r.Host)
}

func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, code int, why string) {
	g.m.refused.WithLabelValues(http.StatusText(code)).Inc()
	if code != http.StatusUnauthorized || r.URL.Path != "/api/v1/session" {
		g.o.Logger.Info("request refused", "method", r.Method, "path", r.URL.Path, "status", code, "reason", why, "client", clientIP(r))
	}
	writeError(w, code, why)
}

// clientIP is the peer address (facmon is not behind a proxy it trusts).
func clientIP(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}
