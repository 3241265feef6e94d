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
	"regexp"
	"slices"
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

// ErrNoSuchToken is returned for an unknown token id.
var ErrNoSuchToken = errors.New("no such token")

// User is one named user.
type User struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Hash is the bcrypt hash of the password.
	Hash string `json:"hash"`
}

// Stamp changes whenever the user's password or role changes; a session
// remembers the stamp of its login and ends when it differs.
func (u User) Stamp() string {
	s := sha256.Sum256([]byte(u.Role.String() + "\x00" + u.Hash))
	return hex.EncodeToString(s[:8])
}

// Token is one API token; only its SHA-256 is stored.
type Token struct {
	ID      string    `json:"id"`
	User    string    `json:"user"`
	SHA256  string    `json:"sha256"`
	Created time.Time `json:"created"`
	Note    string    `json:"note,omitempty"`
	// Expires ends the token (nil: never).
	Expires *time.Time `json:"expires,omitempty"`
	// Role narrows the token below its user's role (NoRole: the user's).
	Role Role `json:"role,omitempty"`
}

// Expired reports whether the token has expired at now.
func (t Token) Expired(now time.Time) bool { return t.Expires != nil && !now.Before(*t.Expires) }

// file is the users file on disk.
type file struct {
	Users  []User  `json:"users"`
	Tokens []Token `json:"tokens,omitempty"`
}

// Store is the users file: users with their password hashes and the API
// tokens. It is safe for concurrent use and shares the file with other
// processes (`facmon user add` beside a running facmon): every change
// takes an exclusive lock on the file, re-reads it, applies itself to what
// it read and writes the result atomically (mode 0600), so no writer loses
// another's change; Reload picks up changes made by others.
type Store struct {
	path string
	cost int
	mu   sync.RWMutex
	f    file
	raw  []byte // the file's bytes as last read or written
}

// SetCost sets the bcrypt cost of passwords saved from now on (default
// bcrypt.DefaultCost; tests use bcrypt.MinCost to stay fast).
func (s *Store) SetCost(c int) { s.cost = c }

// Path is the users file.
func (s *Store) Path() string { return s.path }

// Open reads the users file at path; a missing file is an empty store.
func Open(path string) (*Store, error) {
	s := &Store{path: path, cost: bcrypt.DefaultCost}
	f, raw, err := readFile(path)
	if err != nil {
		return nil, err
	}
	s.f, s.raw = f, raw
	return s, nil
}

// readFile reads and checks the users file; a missing file is empty.
func readFile(path string) (file, []byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return file{}, nil, nil
	}
	if err != nil {
		return file{}, nil, accessHint(err, path)
	}
	f, err := parseFile(b)
	if err != nil {
		return file{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, b, nil
}

// Reload re-reads the file and reports whether it changed; on an error the
// store keeps what it had.
func (s *Store) Reload() (bool, error) {
	f, raw, err := readFile(s.path)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if bytes.Equal(raw, s.raw) {
		return false, nil
	}
	s.f, s.raw = f, raw
	return true, nil
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

// Tokens lists the tokens (hashes included).
func (s *Store) Tokens() []Token {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Token(nil), s.f.Tokens...)
}

// Lookup finds a user by name.
func (s *Store) Lookup(name string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lookupLocked(name)
}

func (s *Store) lookupLocked(name string) (User, bool) {
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
	u := User{Name: name, Role: role, Hash: string(h)}
	return s.update(func(f *file) error {
		for i := range f.Users {
			if f.Users[i].Name == name {
				f.Users[i] = u
				return nil
			}
		}
		f.Users = append(f.Users, u)
		return nil
	})
}

// Remove deletes the user and its tokens.
func (s *Store) Remove(name string) error {
	return s.update(func(f *file) error {
		n := len(f.Users)
		f.Users = slices.DeleteFunc(f.Users, func(u User) bool { return u.Name == name })
		if len(f.Users) == n {
			return fmt.Errorf("user %q: %w", name, ErrNoSuchUser)
		}
		f.Tokens = slices.DeleteFunc(f.Tokens, func(t Token) bool { return t.User == name })
		return nil
	})
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

// CheckPassword reports whether password is user's, without throttling;
// the service asks the guard's CheckPassword, which throttles.
func (s *Store) CheckPassword(user, password string) bool {
	_, ok := s.Authenticate(user, password)
	return ok
}

// TokenOptions are the optional limits of a new token.
type TokenOptions struct {
	Note string
	// Expires ends the token (zero: never).
	Expires time.Time
	// Role narrows the token below the user's role (NoRole: the user's).
	Role Role
}

// CreateToken makes a new API token for user and returns it; only its
// hash is kept, so it is shown once.
func (s *Store) CreateToken(user string, o TokenOptions, now time.Time) (id, secret string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(secret))
	id = hex.EncodeToString(sum[:4])
	t := Token{ID: id, User: user, SHA256: hex.EncodeToString(sum[:]), Created: now.UTC(), Note: o.Note, Role: o.Role}
	if !o.Expires.IsZero() {
		e := o.Expires.UTC()
		t.Expires = &e
	}
	err = s.update(func(f *file) error {
		i := slices.IndexFunc(f.Users, func(u User) bool { return u.Name == user })
		if i < 0 {
			return fmt.Errorf("user %q: %w", user, ErrNoSuchUser)
		}
		if o.Role > f.Users[i].Role {
			return fmt.Errorf("token role %s is above user %q's role %s", o.Role, user, f.Users[i].Role)
		}
		f.Tokens = append(f.Tokens, t)
		return nil
	})
	if err != nil {
		return "", "", err
	}
	return id, secret, nil
}

// RevokeToken deletes the token with that id.
func (s *Store) RevokeToken(id string) error {
	return s.update(func(f *file) error {
		n := len(f.Tokens)
		f.Tokens = slices.DeleteFunc(f.Tokens, func(t Token) bool { return t.ID == id })
		if len(f.Tokens) == n {
			return fmt.Errorf("token %q: %w", id, ErrNoSuchToken)
		}
		return nil
	})
}

// TokenUser finds the user of an unexpired API token at now; the user's
// role is narrowed to the token's.
func (s *Store) TokenUser(secret string, now time.Time) (User, Token, bool) {
	sum := sha256.Sum256([]byte(secret))
	want := hex.EncodeToString(sum[:])
	s.mu.RLock()
	defer s.mu.RUnlock()
	var tok Token
	found := false
	for _, t := range s.f.Tokens {
		if subtle.ConstantTimeCompare([]byte(t.SHA256), []byte(want)) == 1 {
			tok, found = t, true
		}
	}
	if !found || tok.Expired(now) {
		return User{}, Token{}, false
	}
	u, ok := s.lookupLocked(tok.User)
	if !ok {
		return User{}, Token{}, false
	}
	if tok.Role != NoRole && tok.Role < u.Role {
		u.Role = tok.Role
	}
	return u, tok, true
}

// tokenByID finds a token by its id.
func (s *Store) tokenByID(id string) (Token, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, t := range s.f.Tokens {
		if t.ID == id {
			return t, true
		}
	}
	return Token{}, false
}
