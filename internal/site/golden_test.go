package site

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.err from the current messages")

// noEnv is a secret source with no environment variables set and the real
// file system, so that secret-file tests read testdata.
var noEnv = env{readFile: readSecretFile, getenv: func(string) (string, bool) { return "", false }}

// TestBadFiles parses every testdata/bad-<reason>.yaml and compares the
// messages, one per line, with testdata/bad-<reason>.err.
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "bad-"), ".yaml")
		t.Run(name, func(t *testing.T) {
			got := parseErrors(t, f)
			want := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(b) {
				t.Errorf("messages differ\n--- got\n%s--- want\n%s", got, b)
			}
		})
	}
}

// parseErrors parses file and returns its messages, one per line; the
// file must fail with an Errors whose every entry has a line.
func parseErrors(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parse(file, data, noEnv)
	if err == nil {
		t.Fatalf("%s parsed without error: %+v", file, s)
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, not Errors: %v", err, err)
	}
	for _, e := range errs {
		if e.Pos.Line < 1 || e.Pos.File != file {
			t.Errorf("error without a place: %#v", e)
		}
	}
	return err.Error() + "\n"
}
