package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLen is the shortest password accepted (ASVS 2.1.1).
const MinPasswordLen = 8

// maxPasswordLen is bcrypt's limit: it ignores bytes after 72.
const maxPasswordLen = 72

// TokenPrefix starts every API token, so a leaked one is easy to grep for.
const TokenPrefix = "fmt_"

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ErrNoSuchUser is returned for an unknown user name.
var ErrNoSuchUser = errors.New("no such user")

// User is one named user.
type User struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Hash is the bcrypt hash of the password.
	Hash string `json:"hash"`
}

// Token is one API token; only its SHA-256 is stored.
type Token struct {
	ID      string    `json:"id"`
	User    string    `json:"user"`
	SHA256  string    `json:"sha256"`
	Created time.Time `json:"created"`
	Note    string    `json:"note,omitempty"`
}

// file is the users file on disk.
type file struct {
	Users  []User  `json:"users"`
	Tokens []Token `json:"tokens,omitempty"`
}

// Store is the users file: users with their password hashes and the API
// tokens. It is safe for concurrent use; changes are written at once
// (temp file, fsync, rename, mode 0600).
type Store struct {
	path string
	cost int
	mu   sync.RWMutex
	f    file
}

// SetCost sets the bcrypt cost of passwords saved from now on (default
// bcrypt.DefaultCost; tests use bcrypt.MinCost to stay fast).
func (s *Store) SetCost(c int) { s.cost = c }

// Open reads the users file at path; a missing file is an empty store.
func Open(path string) (*Store, error) {
	s := &Store{path: path, cost: bcrypt.DefaultCost}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	f, err := parseFile(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.f = f
	return s, nil
}

// parseFile decodes and checks a users file strictly.
func parseFile(b []byte) (file, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return file{}, err
	}
	seen := map[string]bool{}
	for i, u := range f.Users {
		if !nameRE.MatchString(u.Name) {
			return file{}, fmt.Errorf("users[%d]: name %q is not a user name", i, u.Name)
		}
		if seen[u.Name] {
			return file{}, fmt.Errorf("users[%d]: user %q twice", i, u.Name)
		}
		if _, err := bcrypt.Cost([]byte(u.Hash)); err != nil {
			return file{}, fmt.Errorf("users[%d] %q: hash: %w", i, u.Name, err)
		}
		seen[u.Name] = true
	}
	for i, t := range f.Tokens {
		if !seen[t.User] {
			return file{}, fmt.Errorf("tokens[%d] %q: user %q unknown", i, t.ID, t.User)
		}
		if len(t.SHA256) != 64 {
			return file{}, fmt.Errorf("tokens[%d] %q: sha256 is not 64 hex digits", i, t.ID)
		}
	}
	return f, nil
}

// Empty reports whether the store has no users (first start).
func (s *Store) Empty() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.f.Users) == 0
}

// Users lists the users (hashes included).
func (s *Store) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]User(nil), s.f.Users...)
}

// Lookup finds a user by name.
func (s *Store) Lookup(name string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, u := range s.f.Users {
		if u.Name == name {
			return u, true
		}
	}
	return User{}, false
}

// CheckPasswordLen refuses passwords bcrypt cannot take or that are too short.
func CheckPasswordLen(pw string) error {
	switch {
	case len([]rune(pw)) < MinPasswordLen:
		return fmt.Errorf("password too short: at least %d characters", MinPasswordLen)
	case len(pw) > maxPasswordLen:
		return fmt.Errorf("password too long: at most %d bytes", maxPasswordLen)
	}
	return nil
}

// Put adds the user or replaces its role and password, and saves.
func (s *Store) Put(name string, role Role, password string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("user name %q: use letters, digits, . _ - (at most 64)", name)
	}
	if role == NoRole {
		return errors.New("a user needs a role")
	}
	if err := CheckPasswordLen(password); err != nil {
		return err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := User{Name: name, Role: role, Hash: string(h)}
	for i := range s.f.Users {
		if s.f.Users[i].Name == name {
			s.f.Users[i] = u
			return s.saveLocked()
		}
	}
	s.f.Users = append(s.f.Users, u)
	return s.saveLocked()
}

// dummyHash is compared against when the user is unknown, so a wrong name
// takes as long as a wrong password (no user enumeration by timing).
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("facmon-no-such-user"), bcrypt.DefaultCost)

// Authenticate checks a user's password.
func (s *Store) Authenticate(name, password string) (User, bool) {
	u, ok := s.Lookup(name)
	if !ok {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return User{}, false
	}
	if bcrypt.CompareHashAndPassword([]byte(u.Hash), []byte(password)) != nil {
		return User{}, false
	}
	return u, true
}

// CheckPassword reports whether password is user's; the zone engine asks
// it again before a disarm (the lifecycle's PasswordChecker).
func (s *Store) CheckPassword(user, password string) bool {
	_, ok := s.Authenticate(user, password)
	return ok
}

// CreateToken makes a new API token for user and returns it; only its
// hash is kept, so it is shown once.
func (s *Store) CreateToken(user, note string, now time.Time) (id, secret string, err error) {
	if _, ok := s.Lookup(user); !ok {
		return "", "", fmt.Errorf("user %q: %w", user, ErrNoSuchUser)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(secret))
	id = hex.EncodeToString(sum[:4])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.Tokens = append(s.f.Tokens, Token{ID: id, User: user, SHA256: hex.EncodeToString(sum[:]), Created: now.UTC(), Note: note})
	return id, secret, s.saveLocked()
}

// TokenUser finds the user of an API token.
func (s *Store) TokenUser(secret string) (User, bool) {
	sum := sha256.Sum256([]byte(secret))
	want := hex.EncodeToString(sum[:])
	s.mu.RLock()
	var user string
	for _, t := range s.f.Tokens {
		if subtle.ConstantTimeCompare([]byte(t.SHA256), []byte(want)) == 1 {
			user = t.User
		}
	}
	s.mu.RUnlock()
	if user == "" {
		return User{}, false
	}
	return s.Lookup(user)
}

// saveLocked writes the file atomically with mode 0600.
func (s *Store) saveLocked() error {
	b, err := json.MarshalIndent(s.f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}
