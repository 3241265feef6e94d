package console_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"facmon/deploy/testbed"
)

// TestTLS runs facmon with http.tls: HTTPS only, HSTS on every answer,
// the session cookie Secure, /healthz open and the API closed.
func TestTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs facmon")
	}
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	dir := t.TempDir()
	fm := startFacmonScheme(t, writeSite(t, dir, siteOptions{mqttURL: mq.URL, tls: true}), filepath.Join(dir, "data"), "https")

	resp, err := client.Get(fm.url("/healthz"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("healthz over TLS: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if code := status(fm.url("/api/v1/alarms"), "op", "wrong-password"); code != http.StatusUnauthorized {
		t.Errorf("API with a wrong password: %d", code)
	}
	resp, err = client.Post(fm.url("/api/v1/session/login"), "application/json", strings.NewReader(`{"user":"op","password":"op-password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cs := resp.Cookies()
	if resp.StatusCode != 200 || len(cs) != 1 || !cs[0].Secure || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("login over TLS: %d, cookies %+v", resp.StatusCode, cs)
	}
	if r, err := (&http.Client{}).Get("http://" + fm.addr + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode == 200 {
			t.Error("plain HTTP served on the TLS listener")
		}
	}
}
