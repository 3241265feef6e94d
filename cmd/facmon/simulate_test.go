package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

// simSite is a small site with one Modbus gateway on port and one MQTT
// bin publishing to mqttURL.
func simSite(t *testing.T, port int, mqttURL string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "site.yaml")
	body := fmt.Sprintf(`site: t
timezone: Asia/Shanghai
areas: [{id: a, name: A}]
modbus:
  gateways: [{id: plc, transport: tcp, address: "127.0.0.1:%d"}]
devices:
  - {id: tank-1, name: T, kind: water_tank, area: a, modbus: {gateway: plc, unit: 1},
     signals: [{name: level, type: analog, unit: m, scale: 0.01, modbus: {table: holding, address: 0, type: uint16}}]}
  - {id: bin-1, name: B, kind: bin, area: a, signals: [{name: fill_level, type: analog, unit: "%%"}]}
mqtt:
  url: %s
  subscriptions: [{topic: "estate/bins/{device}/{signal}", format: plain}]
`, port, mqttURL)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSimulateFlags(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("site: t\ndevices: [{id: x}]\n"), 0o600)
	good := simSite(t, testbed.FreePort(t), "tcp://127.0.0.1:1")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no config", nil, 2, "--config SITE.yaml is required"},
		{"unknown flag", []string{"--nope"}, 2, "flag provided but not defined"},
		{"bad site file", []string{"--config", bad}, 1, "bad.yaml:2:"},
		{"unknown scenario", []string{"--config", good, "--scenario", "earthquake"}, 1, `scenario "earthquake" unknown`},
		{"negative speed", []string{"--config", good, "--speed", "-1"}, 1, "speed -1 is negative"},
		{"bad start", []string{"--config", good, "--start", "25:00"}, 2, `start "25:00": want HH:MM (site time) or RFC 3339`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := cmdSimulate(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), tc.code, tc.stderr)
			}
		})
	}
}

// TestSimulateServes runs the command: its gateway answers on the site
// file's address, and SIGINT ends it with exit code 0.
func TestSimulateServes(t *testing.T) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	port := testbed.FreePort(t)
	path := simSite(t, port, broker.URL)
	var out, errb testsupport.LockedBuffer
	code := make(chan int, 1)
	args := []string{"--config", path, "--speed", "10", "--start", testsupport.SimStartClock(t)}
	go func() { code <- cmdSimulate(args, &out, &errb) }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not listening on %s: %v\n%s", addr, err, errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "modbus gateway plc") {
		t.Errorf("stdout %q does not name the gateway", out.String())
	}
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit %d after SIGINT\n%s", c, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("simulate did not stop on SIGINT")
	}
}
