package testbed

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// BridgeStanza renders deploy/mosquitto/bridge.conf — the stanza a site's
// Mosquitto is given in production — for site towards central, to be
// passed as MosquittoOptions.Extra. The test brokers speak plain MQTT on
// loopback, so the TLS lines are left out; everything else is the file as
// shipped.
func BridgeStanza(t testing.TB, site string, central *Mosquitto) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "mosquitto", "bridge.conf"))
	if err != nil {
		t.Fatalf("testbed: bridge stanza: %v", err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "bridge_cafile") || strings.HasPrefix(l, "bridge_certfile") ||
			strings.HasPrefix(l, "bridge_keyfile") || strings.HasPrefix(l, "bridge_tls_version") {
			continue
		}
		l = strings.ReplaceAll(l, "SITE_ID", site)
		out = append(out, strings.ReplaceAll(l, "CENTRAL", central.Addr))
	}
	return strings.Join(out, "\n")
}

// Kill stops the broker with SIGKILL: no last save of its persistence.
func (m *Mosquitto) Kill() { m.p.stop(syscall.SIGKILL) }

// DropQueues stops the broker, deletes its persistence file — every
// queued message, the bridge's outgoing queue included, is gone — and
// starts it again on the same port.
func (m *Mosquitto) DropQueues(t testing.TB) {
	t.Helper()
	m.Kill()
	if err := os.Remove(filepath.Join(m.p.dir, "mosquitto.db")); err != nil && !os.IsNotExist(err) {
		t.Fatalf("testbed: drop queues: %v", err)
	}
	m.Start(t)
}
