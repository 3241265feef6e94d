package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNotifyTestCommand(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(202)
		io.WriteString(w, `{"accepted":true}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "site.yaml")
	os.WriteFile(cfg, []byte(`site: demo
notify:
  receivers:
    - name: hook
      type: webhook
      url: `+srv.URL+`
    - name: dead
      type: webhook
      url: http://127.0.0.1:1/
`), 0o600)
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"sends and prints the answer", []string{"--config", cfg, "--receiver", "hook"}, 0, `HTTP 202`, ""},
		{"unknown receiver", []string{"--config", cfg, "--receiver", "nope"}, 1, "", `no receiver "nope"`},
		{"dead receiver", []string{"--config", cfg, "--receiver", "dead"}, 1, "", "retryable: true"},
		{"flags required", []string{"--config", cfg}, 2, "", "--receiver NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := dispatch(append([]string{"notify", "test"}, tt.args...), &out, &errb)
			if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.Contains(errb.String(), tt.err) {
				t.Fatalf("code %d\nstdout %s\nstderr %s", code, out.String(), errb.String())
			}
		})
	}
	if !strings.Contains(string(got), "facmon-test") {
		t.Errorf("receiver got %s", got)
	}
}
