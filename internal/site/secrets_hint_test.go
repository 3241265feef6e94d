package site

import (
	"io/fs"
	"os/user"
	"strings"
	"testing"
)

// TestSecretPermissionNamesWhoNeedsAccess: an unreadable token file says
// which user facmon runs as and what group and modes it needs, and an
// absolute path gets no hint about relative paths.
func TestSecretPermissionNamesWhoNeedsAccess(t *testing.T) {
	denied := env{
		readFile: func(string) ([]byte, error) { return nil, &fs.PathError{Op: "open", Path: "x", Err: fs.ErrPermission} },
		getenv:   func(string) (string, bool) { return "", false },
	}
	const text = "site: s\ntimezone: UTC\nstorage:\n  influx:\n    url: http://127.0.0.1:8086\n    bucket: facmon/autogen\n    token_file: /etc/facmon/secrets/influx.token\n"
	_, err := parse("site.yaml", []byte(text), denied)
	if err == nil {
		t.Fatal("no error for an unreadable token file")
	}
	u, uerr := user.Current()
	if uerr != nil {
		t.Skip("no current user to name:", uerr)
	}
	msg := err.Error()
	for _, want := range []string{
		"site.yaml:7:17: storage.influx: token_file: cannot read the file: permission denied",
		`facmon runs as user "` + u.Username + `" (group "`,
		"group facmon, file 0640 root:facmon, directory 0750 root:facmon",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "relative paths") {
		t.Errorf("hint about relative paths for an absolute path:\n%s", msg)
	}
}
