package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// TestModbusOnlySiteBuildsNoMQTTOutput: a site with Modbus and no MQTT
// does not build the MQTT outputs; facmon says so once, and never logs a
// status it failed to publish, while its devices go down (nothing listens
// on the gateway's port) and back.
func TestModbusOnlySiteBuildsNoMQTTOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	dir := t.TempDir()
	cfg := writeSite(t, dir, fmt.Sprintf(`site: t1
timezone: Asia/Shanghai
areas: [{id: a, name: A}]
modbus:
  gateways: [{id: plc, transport: tcp, address: "127.0.0.1:%d"}]
devices:
  - {id: tank-1, name: T1, kind: water_tank, area: a, modbus: {gateway: plc, unit: 1},
     signals: [{name: level, type: analog, unit: m, modbus: {table: holding, address: 0, type: uint16}}]}
  - {id: tank-2, name: T2, kind: water_tank, area: a, modbus: {gateway: plc, unit: 2},
     signals: [{name: level, type: analog, unit: m, modbus: {table: holding, address: 0, type: uint16}}]}
`, testbed.FreePort(t)))
	fm := startFacmon(t, "--config", cfg, "--data-dir", filepath.Join(dir, "data"))
	testsupport.Eventually(t, 60*time.Second, "both devices known down", func() bool {
		var body struct{ Devices []struct{ ID, Status string } }
		if json.Unmarshal([]byte(httpGet(fm.url("/api/v1/devices"))), &body) != nil || len(body.Devices) != 2 {
			return false
		}
		for _, d := range body.Devices {
			if d.Status == "unknown" || d.Status == "online" {
				return false
			}
		}
		return true
	}, fm.log)
	_ = fm.cmd.Process.Signal(syscall.SIGTERM) // the fan-out drains every status into the alarm service
	_ = fm.cmd.Wait()
	log := fm.log.String()
	if n := strings.Count(log, "no MQTT connection configured"); n != 1 {
		t.Errorf("said %d times that there is no MQTT connection, want once", n)
	}
	if strings.Contains(log, "device status not published") {
		t.Errorf("an output without its broker was built:\n%s", log)
	}
	if t.Failed() {
		t.Logf("log:\n%s", log)
	}
}
