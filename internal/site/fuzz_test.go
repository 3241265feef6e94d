package site

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzEnv hands every secret file the same content and sets no variable,
// so the fuzzer never touches the real file system.
var fuzzEnv = env{
	readFile: func(string) ([]byte, error) { return []byte("fuzz-secret"), nil },
	getenv:   func(string) (string, bool) { return "", false },
}

// FuzzParse feeds arbitrary bytes to the loader: it must never panic, a
// failure must be an Errors whose every entry has a line, and a success
// must be a complete site that prints without its secrets.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"../../seeds/sites/*.yaml", "testdata/bad-*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil && len(b) < 4096 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parse("fuzz.yaml", data, fuzzEnv)
		if err != nil {
			checkFuzzErrors(t, err)
			return
		}
		checkFuzzSite(t, s)
	})
}

// checkFuzzErrors asserts that every error has a place and a message.
func checkFuzzErrors(t *testing.T, err error) {
	var errs Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		t.Fatalf("error %T is not a non-empty Errors: %v", err, err)
	}
	for _, e := range errs {
		if e.Pos.File != "fuzz.yaml" || e.Pos.Line < 1 || e.Msg == "" {
			t.Fatalf("error without a place or message: %#v", e)
		}
		if strings.Contains(e.Msg, "fuzz-secret") {
			t.Fatalf("secret in message: %s", e.Msg)
		}
	}
}

// checkFuzzSite asserts that a loaded site is complete and redacts.
func checkFuzzSite(t *testing.T, s *Site) {
	if s.ID == "" || s.Location == nil || s.HTTP.Listen == "" {
		t.Fatalf("incomplete site: id %q location %v listen %q", s.ID, s.Location, s.HTTP.Listen)
	}
	out, err := s.Redacted()
	if err != nil {
		t.Fatalf("Redacted: %v", err)
	}
	if strings.Contains(string(out), "fuzz-secret") {
		t.Fatalf("secret in Redacted output:\n%s", out)
	}
}

// FuzzParseDuration checks that a duration that parses prints back to the
// same value and is never negative.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"500ms", "30s", "3m", "1h30m", "1d", "-1s", "30", "1.5d", "9223372036854775807ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		back, err := ParseDuration(d.String())
		if d < 0 || err != nil || back != d {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, d, d.String(), back, err)
		}
	})
}

// FuzzParseByteSize checks that a size that parses prints back to the same
// value and is never negative.
func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"1048576", "512KB", "64MiB", "1GiB", "-1", "1.5MiB", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseByteSize(s)
		if err != nil {
			return
		}
		back, err := ParseByteSize(b.String())
		if b < 0 || err != nil || back != b {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, b, b.String(), back, err)
		}
	})
}
