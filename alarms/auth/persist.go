package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// savedSession is a session as the sessions file keeps it: by the
// SHA-256 of its id, so the file alone opens no session.
type savedSession struct {
	User       string    `json:"user"`
	Stamp      string    `json:"stamp"`
	CSRF       string    `json:"csrf"`
	Created    time.Time `json:"created"`
	LastAction time.Time `json:"last_action"`
}

func hashID(id string) string {
	s := sha256.Sum256([]byte(id))
	return hex.EncodeToString(s[:])
}

// load reads the sessions file, so that a restart of facmon does not log
// the control room out (the console reconnects and carries on).
func (t *sessions) load() error {
	if t.path == "" {
		return nil
	}
	b, err := os.ReadFile(t.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var m map[string]savedSession
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.saved = m
	return nil
}

// restore finds a session saved by an earlier run.
func (t *sessions) restoreLocked(id string) (*Session, bool) {
	s, ok := t.saved[hashID(id)]
	if !ok {
		return nil, false
	}
	delete(t.saved, hashID(id))
	return &Session{ID: id, User: s.User, Stamp: s.Stamp, CSRF: s.CSRF, Created: s.Created, LastAction: s.LastAction}, true
}

// saveLocked writes the sessions file (mode 0600, atomically).
func (t *sessions) saveLocked() {
	if t.path == "" {
		return
	}
	m := make(map[string]savedSession, len(t.m)+len(t.saved))
	for k, s := range t.saved {
		m[k] = s
	}
	for id, s := range t.m {
		m[hashID(id)] = savedSession{User: s.User, Stamp: s.Stamp, CSRF: s.CSRF, Created: s.Created, LastAction: s.LastAction}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	_ = os.MkdirAll(filepath.Dir(t.path), 0o700)
	tmp := t.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return
	}
	_ = os.Rename(tmp, t.path)
}
