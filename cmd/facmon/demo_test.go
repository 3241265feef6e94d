package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

// hasAlarm reports whether a running facmon's /api/v1/alarms lists an
// alarm of rule/device ("rule/device") in state.
func hasAlarm(url, ruleDevice, state string) bool {
	return hasAlarmAs(url, testUser, ruleDevice, state)
}

func hasAlarmAs(url, user, ruleDevice, state string) bool {
	var body struct {
		Alarms []struct{ Rule, Device, State string }
	}
	if err := json.Unmarshal([]byte(httpGetAs(url+"/api/v1/alarms", user)), &body); err != nil {
		return false
	}
	for _, a := range body.Alarms {
		if a.Rule+"/"+a.Device == ruleDevice && a.State == state {
			return true
		}
	}
	return false
}

// TestDemoScenarios plays scenarios through the real `facmon demo` — the
// embedded broker, the simulated community over real Modbus TCP and MQTT,
// the standard's rule pack — and checks that each scenario's alarm appears
// in /api/v1/alarms, and clears as the standard says where it clears on
// its own (the UPS goes back to mains power once the generator has taken
// the load, 篇3·十五·7).
func TestDemoScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("runs facmon demo")
	}
	tests := []struct {
		scenario, alarm string
		clears          bool
	}{
		{"intrusion", "perimeter-zone-alarm/north-wall-1", false},
		{"unplug", "equipment-offline/transfer-switch-1", false},
		{"mains-outage", "ups-on-battery/ups-1", true},
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			addr := fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))
			log := &testsupport.LockedBuffer{}
			cmd := exec.Command(facmonBin, "demo", "--scenario", tc.scenario, "--listen", addr, "--data-dir", t.TempDir(),
				"--start", testsupport.SimStartClock(t))
			cmd.Env = append(os.Environ(), "FACMON_DEMO_PASSWORD="+testPassword)
			cmd.Stdout, cmd.Stderr = log, log
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			url := "http://" + addr
			testsupport.Eventually(t, 60*time.Second, tc.alarm+" active", func() bool {
				return hasAlarmAs(url, "demo", tc.alarm, "active-unacknowledged")
			}, log)
			if tc.clears {
				testsupport.Eventually(t, 90*time.Second, tc.alarm+" cleared", func() bool {
					return hasAlarmAs(url, "demo", tc.alarm, "cleared-unacknowledged")
				}, log)
			}
			_ = cmd.Process.Signal(syscall.SIGTERM)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("facmon demo did not stop cleanly: %v\n%s", err, log.String())
			}
		})
	}
}
