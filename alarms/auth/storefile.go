package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"facmon/internal/durable"
)

// update applies change to the newest content of the users file under an
// exclusive lock on <file>.lock (re-read, change, write), so that the CLI
// and a running facmon never lose each other's writes.
func (s *Store) update(change func(f *file) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockFile(s.path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	f, _, err := readFile(s.path)
	if err != nil {
		return err
	}
	if err := change(&f); err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := durable.WriteFile(s.path, b); err != nil {
		return accessHint(err, s.path)
	}
	if err := giveToDirOwner(s.path); err != nil {
		return err
	}
	s.f, s.raw = f, b
	return nil
}

// lockFile takes an exclusive flock on path (created 0600 if missing) and
// returns its release.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, accessHint(err, filepath.Dir(path))
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, accessHint(err, path)
	}
	if err := giveToDirOwner(path); err != nil {
		f.Close()
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
}

// giveToDirOwner makes path owned by the owner of its directory when we
// run as root: `facmon user add` run by root must leave a file the facmon
// user (who owns its data directory) can read and replace.
func giveToDirOwner(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	st, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || sys.Uid == 0 {
		return nil
	}
	if err := os.Chown(path, int(sys.Uid), int(sys.Gid)); err != nil {
		return fmt.Errorf("give %s to the owner of its directory: %w", path, err)
	}
	return nil
}

// accessHint adds to a permission error which user and group need access.
func accessHint(err error, path string) error {
	if !errors.Is(err, fs.ErrPermission) {
		return err
	}
	return fmt.Errorf("%w: user %s (group %s) needs read and write access to %s and its directory", err, processUser(), processGroup(), path)
}

func processUser() string {
	if u, err := user.LookupId(strconv.Itoa(os.Geteuid())); err == nil {
		return u.Username
	}
	return strconv.Itoa(os.Geteuid())
}

func processGroup() string {
	if g, err := user.LookupGroupId(strconv.Itoa(os.Getegid())); err == nil {
		return g.Name
	}
	return strconv.Itoa(os.Getegid())
}
