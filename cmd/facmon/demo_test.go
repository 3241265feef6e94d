package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"facmon/internal/testsupport"
)

// hasAlarm reports whether a running facmon's /api/v1/alarms lists an
// alarm of rule/device ("rule/device") in state.
func hasAlarm(url, ruleDevice, state string) bool {
	return hasAlarmAs(url, testUser, ruleDevice, state)
}

func hasAlarmAs(url, user, ruleDevice, state string) bool {
	_, ok := alarmMessage(url, user, ruleDevice, state)
	return ok
}

// alarmMessage returns the message of the alarm of rule/device in state.
func alarmMessage(url, user, ruleDevice, state string) (string, bool) {
	var body struct {
		Alarms []struct{ Rule, Device, State, Message string }
	}
	if err := json.Unmarshal([]byte(httpGetAs(url+"/api/v1/alarms", user)), &body); err != nil {
		return "", false
	}
	for _, a := range body.Alarms {
		if a.Rule+"/"+a.Device == ruleDevice && a.State == state {
			return a.Message, true
		}
	}
	return "", false
}

// TestDemoScenarios plays scenarios through the real `facmon demo` — the
// embedded broker, the simulated community over real Modbus TCP and MQTT,
// the standard's rule pack — and checks that each scenario's alarm appears
// in /api/v1/alarms, and clears as the standard says where it clears on
// its own (the UPS goes back to mains power once the generator has taken
// the load, 篇3·十五·7); more alarms of the scenario must be active too,
// and an alarm's message must hold what the control room needs (the
// in-home alarm's type and household, 篇3·十九·1–2).
func TestDemoScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("runs facmon demo")
	}
	tests := []struct {
		scenario, alarm string
		clears          bool
		more            []string // also active
		message         []string // in the alarm's message
	}{
		{"intrusion", "perimeter-zone-alarm/north-wall-1", false, nil, nil},
		{"unplug", "equipment-offline/transfer-switch-1", false, nil, nil},
		{"mains-outage", "ups-on-battery/ups-1", true, []string{"mains-lost/mains-1"}, nil},
		{"fire-alarm", "fire-alarm/fire-panel-1", false, []string{"access-doors-released/access-controller-1"}, nil},
		{"door-forced", "door-forced/door-b1-roof", false, nil, []string{"1号楼天台防火门"}},
		{"home-alarm", "home-alarm-emergency/home-b3-1201", false, nil, []string{"紧急求助", "3-1201", "王老先生"}},
		{"nvr-fault", "nvr-disk-fault/nvr-1", false, []string{"camera-video-loss/cam-north-1"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			// Port 0: seven demos in parallel, each with its own broker,
			// simulator and connections, took a "free" port from each
			// other (bind: address already in use).
			cmd := exec.Command(facmonBin, "demo", "--scenario", tc.scenario, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(),
				"--start", testsupport.SimStartClock(t))
			cmd.Env = append(os.Environ(), "FACMON_DEMO_PASSWORD="+testPassword)
			log := testsupport.Start(t, cmd)
			url := "http://" + boundAddr(t, log)
			testsupport.Eventually(t, 60*time.Second, tc.alarm+" active", func() bool {
				return hasAlarmAs(url, "demo", tc.alarm, "active-unacknowledged")
			}, log)
			for _, more := range tc.more {
				testsupport.Eventually(t, 60*time.Second, more+" active", func() bool {
					return hasAlarmAs(url, "demo", more, "active-unacknowledged")
				}, log)
			}
			if msg, _ := alarmMessage(url, "demo", tc.alarm, "active-unacknowledged"); len(tc.message) > 0 {
				for _, want := range tc.message {
					if !strings.Contains(msg, want) {
						t.Errorf("message of %s is %q, want %q in it", tc.alarm, msg, want)
					}
				}
			}
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

// listening is the HTTP server's log line once it has bound its port.
var listening = regexp.MustCompile(`msg="http listening".* addr=(\S+)`)

// boundAddr waits for facmon's HTTP listener and returns its address.
func boundAddr(t *testing.T, log *testsupport.LockedBuffer) string {
	t.Helper()
	var addr string
	testsupport.Eventually(t, 30*time.Second, "the HTTP listener", func() bool {
		if m := listening.FindStringSubmatch(log.String()); m != nil {
			addr = m[1]
		}
		return addr != ""
	}, log)
	return addr
}
