package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"facmon/alarms/auth"
)

// stdinWith is a file holding s, standing in for a script's stdin.
func stdinWith(t *testing.T, s string) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "stdin")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestUserAdd(t *testing.T) {
	data := t.TempDir()
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		err   string
	}{
		{"operator from stdin", []string{"zhang", "--role", "operator"}, "值班员的密码12\n", 0, ""},
		{"no name", []string{"--role", "operator"}, "long-enough\n", 2, "usage"},
		{"bad role", []string{"li", "--role", "root"}, "long-enough\n", 2, "role"},
		{"short password", []string{"li", "--role", "engineer"}, "short\n", 1, "too short"},
		{"empty stdin", []string{"li", "--role", "engineer"}, "", 1, "read the password"},
		{"change role", []string{"zhang", "--role", "engineer"}, "another-password", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := userAdd(append(tc.args, "--data-dir", data), stdinWith(t, tc.stdin), &out, &errb)
			if code != tc.code || !strings.Contains(errb.String(), tc.err) {
				t.Fatalf("exit %d, stderr %q; want %d with %q", code, errb.String(), tc.code, tc.err)
			}
		})
	}
	st, err := auth.Open(usersFile(data))
	if err != nil {
		t.Fatal(err)
	}
	u, ok := st.Lookup("zhang")
	if !ok || u.Role != auth.Engineer || !st.CheckPassword("zhang", "another-password") {
		t.Fatalf("zhang after the change: %+v", u)
	}
	if c, err := bcrypt.Cost([]byte(u.Hash)); err != nil || c < bcrypt.DefaultCost {
		t.Fatalf("bcrypt cost %d (%v), want at least %d", c, err, bcrypt.DefaultCost)
	}
	if fi, err := os.Stat(usersFile(data)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("users file mode: %v %v", fi.Mode(), err)
	}
}

func TestTokenCreate(t *testing.T) {
	data := t.TempDir()
	var out, errb bytes.Buffer
	if code := userAdd([]string{"bot", "--role", "operator", "--data-dir", data}, stdinWith(t, "long-enough\n"), &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	out.Reset()
	if code := cmdTokenCreate([]string{"--user", "bot", "--data-dir", data}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	tok := strings.TrimSpace(out.String())
	st, _ := auth.Open(usersFile(data))
	if u, _, ok := st.TokenUser(tok, time.Now()); !ok || u.Name != "bot" {
		t.Fatalf("token %q does not name bot", tok)
	}
	if code := cmdTokenCreate([]string{"--user", "nobody", "--data-dir", data}, &out, &errb); code != 1 {
		t.Fatalf("token for an unknown user: exit %d", code)
	}
}

// TestTokenListInSiteZone: with --config the created and expiry times are
// the site's wall clock, named by its zone, whatever this machine's zone.
func TestTokenListInSiteZone(t *testing.T) {
	data := t.TempDir()
	var out, errb bytes.Buffer
	if code := userAdd([]string{"bot", "--role", "operator", "--data-dir", data}, stdinWith(t, "long-enough\n"), &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	if code := cmdTokenCreate([]string{"--user", "bot", "--expires", "2d", "--data-dir", data}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	siteFile := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(siteFile, []byte("site: s1\nname: 小区\ntimezone: Asia/Shanghai\nareas: [{id: a, name: 甲}]\ndevices: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := cmdTokenList([]string{"--config", siteFile, "--data-dir", data}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	st, _ := auth.Open(usersFile(data))
	tok := st.Tokens()[0]
	sh, _ := time.LoadLocation("Asia/Shanghai")
	for _, want := range []string{tok.Created.In(sh).Format("2006-01-02 15:04:05 CST"), tok.Expires.In(sh).Format("2006-01-02 15:04:05 CST")} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("token list lacks %q in the site's zone:\n%s", want, out.String())
		}
	}
	if code := cmdTokenList([]string{"--config", filepath.Join(t.TempDir(), "missing.yaml"), "--data-dir", data}, &out, &errb); code != 1 {
		t.Fatalf("missing site file: exit %d", code)
	}
}
