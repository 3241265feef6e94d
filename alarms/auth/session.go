package auth

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// Session is one browser login.
type Session struct {
	ID   string
	User string
	// Stamp is the user's Stamp at login: a password or role change ends
	// the session.
	Stamp string
	// CSRF must come back in the X-CSRF-Token header of every state change.
	CSRF    string
	Created time.Time
	// LastAction is the operator's last sign of presence (input in the
	// page, a state change, an unlock); after the idle time the session is
	// locked: it still sees and hears alarms but must give the password to act.
	LastAction time.Time
	LastSeen   time.Time
}

// Locked reports whether the session is idle-locked at now.
func (s *Session) Locked(now time.Time, idle time.Duration) bool {
	return idle > 0 && now.Sub(s.LastAction) >= idle
}

// sessions is the in-memory session table. Sessions end with the process:
// a restart logs everyone in again, which is the safe side.
type sessions struct {
	mu     sync.Mutex
	m      map[string]*Session
	maxAge time.Duration
	// path is the sessions file (empty: sessions end with the process);
	// saved are the sessions of an earlier run not yet seen again.
	path  string
	saved map[string]savedSession
}

func newSessions(maxAge time.Duration, path string) *sessions {
	return &sessions{m: map[string]*Session{}, maxAge: maxAge, path: path}
}

func randomID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session for u.
func (t *sessions) create(u User, now time.Time) Session {
	s := &Session{ID: randomID(), User: u.Name, Stamp: u.Stamp(), CSRF: randomID(), Created: now, LastAction: now, LastSeen: now}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepLocked(now)
	t.m[s.ID] = s
	t.saveLocked()
	return *s
}

// get returns a copy of the session, touching LastSeen.
func (t *sessions) get(id string, now time.Time) (Session, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.m[id]
	if !ok {
		if s, ok = t.restoreLocked(id); !ok {
			return Session{}, false
		}
		t.m[id] = s
	}
	if now.Sub(s.Created) >= t.maxAge {
		delete(t.m, id)
		t.saveLocked()
		return Session{}, false
	}
	s.LastSeen = now
	return *s, true
}

// act records the operator's presence.
func (t *sessions) act(id string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.m[id]; ok {
		s.LastAction = now
		t.saveLocked()
	}
}

// end removes a session (logout).
func (t *sessions) end(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, id)
	delete(t.saved, hashID(id))
	t.saveLocked()
}

// retain keeps the sessions for which keep holds and returns the ids of
// the others, which it removes.
func (t *sessions) retain(keep func(user, stamp string) bool) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ended []string
	for id, s := range t.m {
		if !keep(s.User, s.Stamp) {
			delete(t.m, id)
			ended = append(ended, id)
		}
	}
	for k, s := range t.saved {
		if !keep(s.User, s.Stamp) {
			delete(t.saved, k)
		}
	}
	if len(ended) > 0 {
		t.saveLocked()
	}
	return ended
}

// has reports whether session id is live.
func (t *sessions) has(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.m[id]
	return ok
}

func (t *sessions) sweepLocked(now time.Time) {
	for id, s := range t.m {
		if now.Sub(s.Created) >= t.maxAge {
			delete(t.m, id)
		}
	}
	for k, s := range t.saved {
		if now.Sub(s.Created) >= t.maxAge {
			delete(t.saved, k)
		}
	}
}
