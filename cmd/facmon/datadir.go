package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// ensureDataDir creates facmon's data directory when it is missing (mode
// 0750), so that `facmon user add` works before the first start. Created
// by root, it is given to the service's user: the account whose home it is
// (`useradd --home-dir /var/lib/facmon facmon`), else the user "facmon";
// the users file written into it then belongs to that user too.
func ensureDataDir(dir string) error {
	if _, err := os.Stat(dir); err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create the data directory: %w", err)
	}
	if os.Geteuid() != 0 {
		return nil
	}
	uid, gid, ok := serviceOwner(dir)
	if !ok {
		return nil
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("give the data directory %s to uid %d: %w", dir, uid, err)
	}
	return nil
}

// serviceOwner finds the account that will run facmon with dir as its
// data directory.
func serviceOwner(dir string) (uid, gid int, ok bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, 0, false
	}
	if uid, gid, ok := ownerByHome("/etc/passwd", abs); ok {
		return uid, gid, true
	}
	u, err := user.Lookup("facmon")
	if err != nil {
		return 0, 0, false
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	return uid, gid, err1 == nil && err2 == nil && uid != 0
}

// ownerByHome finds a non-root account in a passwd file whose home is dir.
func ownerByHome(passwd, dir string) (uid, gid int, ok bool) {
	f, err := os.Open(passwd)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 7 || filepath.Clean(fields[5]) != dir {
			continue
		}
		uid, err1 := strconv.Atoi(fields[2])
		gid, err2 := strconv.Atoi(fields[3])
		if err1 == nil && err2 == nil && uid != 0 {
			return uid, gid, true
		}
	}
	return 0, 0, false
}
