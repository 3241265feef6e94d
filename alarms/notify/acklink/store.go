package acklink

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Store remembers used nonces on disk until their link expires, so that a
// link used once is refused after a restart too.
type Store struct {
	path string
	mu   sync.Mutex
	used map[string]int64 // nonce -> expiry (Unix s)
	busy map[string]bool  // being used right now
	f    *os.File
}

// storeFile is the store inside its directory.
const storeFile = "ack-nonces.log"

// OpenStore opens the store in dir, dropping nonces of links expired by now.
func OpenStore(dir string, now time.Time) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ack link store %s: %w", dir, err)
	}
	s := &Store{path: filepath.Join(dir, storeFile), used: map[string]int64{}, busy: map[string]bool{}}
	if err := s.load(now); err != nil {
		return nil, err
	}
	if err := s.rewrite(); err != nil {
		return nil, err
	}
	return s, nil
}

// load reads the used nonces still in force.
func (s *Store) load(now time.Time) error {
	f, err := os.Open(s.path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ack link store %s: %w", s.path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n, e, ok := strings.Cut(sc.Text(), " ")
		exp, err := strconv.ParseInt(e, 10, 64)
		if ok && err == nil && exp > now.Unix() {
			s.used[n] = exp
		}
	}
	return nil
}

// rewrite writes the nonces in force to a fresh file and keeps it open.
func (s *Store) rewrite() error {
	var b strings.Builder
	for n, e := range s.used {
		fmt.Fprintf(&b, "%s %d\n", n, e)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("ack link store %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("ack link store %s: %w", s.path, err)
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("ack link store %s: %w", s.path, err)
	}
	s.f = f
	return f.Sync()
}

// Begin reserves nonce for one use; it fails with ErrReused when the
// nonce was used or is being used. Call Commit after the acknowledgement
// succeeded, or Abort.
func (s *Store) Begin(nonce string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.used[nonce]; ok || s.busy[nonce] {
		return ErrReused
	}
	s.busy[nonce] = true
	return nil
}

// Used reports whether nonce was used.
func (s *Store) Used(nonce string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.used[nonce]
	return ok
}

// Commit records nonce as used, on disk (fsync), until exp.
func (s *Store) Commit(nonce string, exp int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.busy, nonce)
	s.used[nonce] = exp
	if _, err := fmt.Fprintf(s.f, "%s %d\n", nonce, exp); err != nil {
		return fmt.Errorf("ack link store %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("ack link store %s: %w", s.path, err)
	}
	return nil
}

// Abort releases a nonce reserved by Begin.
func (s *Store) Abort(nonce string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.busy, nonce)
}

// Close closes the store's file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}
