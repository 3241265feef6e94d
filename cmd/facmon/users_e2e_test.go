package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"facmon/internal/testsupport"
)

// cli runs the facmon binary with stdin and returns its output.
func cli(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(facmonBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("facmon %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// consoleLogin logs in through the console's login route.
func consoleLogin(t *testing.T, p *proc, user, pw string) (*http.Cookie, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"user": user, "password": pw})
	resp, err := http.Post(p.url("/api/v1/session/login"), "application/json", strings.NewReader(string(body)))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login %s: %v %v", user, err, resp)
	}
	defer resp.Body.Close()
	var info struct{ CSRF string }
	_ = json.NewDecoder(resp.Body).Decode(&info)
	return resp.Cookies()[0], info.CSRF
}

// sessionRole asks GET /api/v1/session with the cookie: the role, or the
// status when it is not 200.
func sessionRole(p *proc, c *http.Cookie) (int, string) {
	r, _ := http.NewRequest("GET", p.url("/api/v1/session"), nil)
	r.AddCookie(c)
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(r)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var info struct{ Role string }
	_ = json.NewDecoder(resp.Body).Decode(&info)
	return resp.StatusCode, info.Role
}

// TestCLIChangeEndsSession is issue 12's test with the real binary: an
// engineer logged in with an open event stream; `facmon user add` changes
// them to operator with a new password while facmon runs; within seconds
// the old cookie answers 401 and the stream is closed, without a restart.
// A user added by the CLI logs in at once, and a token made by the CLI
// survives a user change made through the API.
func TestCLIChangeEndsSession(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	p := startFacmon(t, "--config", writeSite(t, dir, minimalSite), "--data-dir", data)
	cookie, _ := consoleLogin(t, p, testUser, testPassword)
	if code, role := sessionRole(p, cookie); code != 200 || role != "engineer" {
		t.Fatalf("before: %d %q", code, role)
	}
	r, _ := http.NewRequest("GET", p.url("/api/v1/events"), nil)
	r.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(r)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("event stream: %v %v", err, resp)
	}
	streamClosed := make(chan struct{})
	go func() {
		defer close(streamClosed)
		var b [512]byte
		for {
			if _, err := resp.Body.Read(b[:]); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })

	cli(t, "a-new-password-1\n", "user", "add", testUser, "--role", "operator", "--data-dir", data)
	testsupport.Eventually(t, 10*time.Second, "the old session to end", func() bool {
		code, _ := sessionRole(p, cookie)
		return code == 401
	}, p.log)
	select {
	case <-streamClosed:
	case <-time.After(10 * time.Second):
		t.Fatal("the event stream still delivers after the user changed")
	}

	// A new admin from the CLI logs in without a restart; a token made by
	// the CLI meanwhile is not lost when the admin changes a user through
	// the running service.
	cli(t, "boss-password-1\n", "user", "add", "boss", "--role", "admin", "--data-dir", data)
	testsupport.Eventually(t, 10*time.Second, "the new admin to log in", func() bool {
		body := `{"user":"boss","password":"boss-password-1"}`
		resp, err := http.Post(p.url("/api/v1/session/login"), "application/json", strings.NewReader(body))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, p.log)
	// The service may not have re-read the file when it writes: nothing
	// is lost either way.
	token := strings.TrimSpace(cli(t, "", "token", "create", "--user", "boss", "--note", "bridge", "--data-dir", data))
	req, _ := http.NewRequest("POST", p.url("/api/v1/users"), strings.NewReader(`{"name":"li","role":"operator","password":"li-password-1"}`))
	req.SetBasicAuth("boss", "boss-password-1")
	req.Header.Set("Content-Type", "application/json")
	uresp, err := http.DefaultClient.Do(req)
	if err != nil || uresp.StatusCode != 200 {
		t.Fatalf("add a user through the API: %v %v", err, uresp)
	}
	uresp.Body.Close()
	list := cli(t, "", "token", "list", "--data-dir", data)
	if !strings.Contains(list, "bridge") {
		t.Fatalf("the CLI's token was lost by the service's write:\n%s", list)
	}
	testsupport.Eventually(t, 10*time.Second, "the CLI's token to work", func() bool {
		req, _ := http.NewRequest("GET", p.url("/api/v1/alarms"), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, p.log)
}

// TestUserAddAsRootIntoAServiceOwnedDir: as root, `facmon user add` into
// a data directory owned by the service's user leaves files that user
// owns (issue 13); into a missing directory it creates it.
func TestUserAddAsRootIntoAServiceOwnedDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	const uid, gid = 65534, 65534 // nobody:nogroup stands in for facmon
	if err := os.Chown(data, uid, gid); err != nil {
		t.Fatal(err)
	}
	cli(t, "long-enough-1\n", "user", "add", "zhang", "--role", "operator", "--data-dir", data)
	for _, f := range []string{"users.json", "users.json.lock"} {
		st, err := os.Stat(filepath.Join(data, f))
		if err != nil {
			t.Fatal(err)
		}
		if s := st.Sys().(*syscall.Stat_t); s.Uid != uid || s.Gid != gid {
			t.Fatalf("%s owned by %d:%d, want %d:%d", f, s.Uid, s.Gid, uid, gid)
		}
	}
	missing := filepath.Join(t.TempDir(), "new", "data")
	cli(t, "long-enough-1\n", "user", "add", "zhang", "--role", "operator", "--data-dir", missing)
	if _, err := os.Stat(filepath.Join(missing, "users.json")); err != nil {
		t.Fatal(err)
	}
}

func TestOwnerByHome(t *testing.T) {
	p := filepath.Join(t.TempDir(), "passwd")
	os.WriteFile(p, []byte("root:x:0:0:root:/root:/bin/bash\nfacmon:x:998:997::/var/lib/facmon:/usr/sbin/nologin\n"), 0o644)
	if uid, gid, ok := ownerByHome(p, "/var/lib/facmon"); !ok || uid != 998 || gid != 997 {
		t.Fatalf("%d %d %v", uid, gid, ok)
	}
	if _, _, ok := ownerByHome(p, "/root"); ok {
		t.Fatal("root is never the service's owner")
	}
}
