package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"go.yaml.in/yaml/v3"

	"facmon/alarms/centre"
	"facmon/deploy/testbed"
)

// TestCentreExampleConfigLoads: deploy/centre/centre.yaml passes the
// centre's strict decoder (secrets stood in for).
func TestCentreExampleConfigLoads(t *testing.T) {
	data, err := os.ReadFile("centre/centre.yaml")
	if err != nil {
		t.Fatal(err)
	}
	key := func(string) ([]byte, error) { return []byte(strings.Repeat("k", 32)), nil }
	c, err := centre.ParseConfig("centre/centre.yaml", data, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sites) == 0 || c.Broker.ClientID == "" {
		t.Fatalf("config: %+v", c)
	}
}

// TestCentreCompose: the centre's compose file has the central broker,
// two centres with their own client ids, two Alertmanagers peered with
// each other, InfluxDB and Grafana, and every file it mounts exists.
func TestCentreCompose(t *testing.T) {
	b, err := os.ReadFile("centre/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			Command []string `yaml:"command"`
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"mosquitto", "centre-1", "centre-2", "alertmanager-1", "alertmanager-2", "influxdb", "grafana"} {
		if _, ok := f.Services[s]; !ok {
			t.Errorf("service %s missing", s)
		}
	}
	ids := map[string]bool{}
	for _, s := range []string{"centre-1", "centre-2"} {
		cmd := f.Services[s].Command
		i := slices.Index(cmd, "--client-id")
		if i < 0 || i+1 >= len(cmd) || ids[cmd[i+1]] {
			t.Errorf("%s: needs a --client-id of its own: %v", s, cmd)
		} else {
			ids[cmd[i+1]] = true
		}
	}
	for a, peer := range map[string]string{"alertmanager-1": "alertmanager-2", "alertmanager-2": "alertmanager-1"} {
		if !slices.Contains(f.Services[a].Command, "--cluster.peer="+peer+":9094") {
			t.Errorf("%s does not peer with %s", a, peer)
		}
	}
	for name, s := range f.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") {
				continue // a named volume
			}
			if _, err := os.Stat(filepath.Join("centre", src)); err != nil {
				t.Errorf("%s mounts %s: %v", name, src, err)
			}
		}
	}
}

// TestCentreACLSiteOnlyUnderItsOwnID runs the central broker's ACL
// (deploy/centre/acl) in a real Mosquitto: a site (its bridge's user name
// is the site id, as the client certificate's CN is in the stack) may
// publish only under facmon/<its id>/ and read only the commands to it;
// the centre reads every site and writes only commands. Password logins
// stand in for the certificates here: the ACL's %u is the same user name.
func TestCentreACLSiteOnlyUnderItsOwnID(t *testing.T) {
	acl, err := filepath.Abs("centre/acl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pw := filepath.Join(dir, "passwd")
	users := []string{"s1", "s2", "centre"}
	for i, u := range users {
		args := []string{"-b", pw, u, u + "-secret"}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(testbed.LookBinary(t, "mosquitto_passwd"), args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v: %s", err, out)
		}
	}
	if err := os.Chmod(pw, 0o644); err != nil { // read by the broker's user
		t.Fatal(err)
	}
	m := testbed.StartMosquitto(t, testbed.MosquittoOptions{Extra: "password_file " + pw + "\nacl_file " + acl + "\n"})
	b := &brokerUnderTest{URL: m.URL}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", m.Log())
		}
	})
	clients := map[string]mqtt.Client{}
	got := map[string]chan string{}
	for _, u := range users {
		c, err := b.connect(t, u, u+"-secret")
		if err != nil {
			t.Fatalf("%s: %v\n%s", u, err, m.Log())
		}
		clients[u], got[u] = c, make(chan string, 100)
		ch := got[u]
		if tok := c.Subscribe("facmon/#", 1, func(_ mqtt.Client, msg mqtt.Message) { ch <- msg.Topic() }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("%s subscribe: %v", u, tok.Error())
		}
	}
	// marker: a topic the publisher may write and the reader may read;
	// once the reader has it, what was published before it arrived or
	// was refused.
	marker := func(user, reader string) string {
		if user == "centre" {
			return "facmon/" + reader + "/command/marker"
		}
		return "facmon/" + user + "/marker"
	}
	tests := []struct {
		name, user, topic, reader string
		delivered                 bool
	}{
		{"a site publishes its own transition", "s1", "facmon/s1/alarm", "centre", true},
		{"a site publishes its own heartbeat", "s1", "facmon/s1/heartbeat", "centre", true},
		{"a site fakes another site's transition", "s1", "facmon/s2/alarm", "centre", false},
		{"a site fakes another site's heartbeat", "s2", "facmon/s1/heartbeat", "centre", false},
		{"a site sends an ack command to another site", "s1", "facmon/s2/command/ack", "s2", false},
		{"the centre sends an ack command", "centre", "facmon/s1/command/ack", "s1", true},
		{"a site reads another site's commands", "centre", "facmon/s2/command/ack", "s1", false},
		{"the centre fakes a site's transition", "centre", "facmon/s1/alarm", "s1", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A fresh session publishes at QoS 1 and waits for the broker's
			// answer: Mosquitto 2.0.11 answers a refused publish of an MQTT
			// 3.1.1 client with a PUBACK carrying a v5 reason code, after
			// which the session ends, so the error is not looked at. Once
			// answered, the broker has handled the publish: a marker sent
			// after it by a session allowed to write where the reader
			// reads arrives after anything the publish delivered.
			c, err := b.connect(t, tt.user, tt.user+"-secret")
			if err != nil {
				t.Fatal(err)
			}
			c.Publish(tt.topic, 1, false, "1").WaitTimeout(10 * time.Second)
			by := "centre"
			if tt.reader == "centre" {
				by = "s1"
			}
			mk := fmt.Sprintf("%s/%d", marker(by, tt.reader), i)
			mc, err := b.connect(t, by, by+"-secret")
			if err != nil {
				t.Fatal(err)
			}
			publish(t, mc, mk)
			seen := drainUntil(t, got[tt.reader], mk)
			if seen[tt.topic] != tt.delivered {
				t.Errorf("%s publishing %s, read by %s: delivered = %v, want %v", tt.user, tt.topic, tt.reader, seen[tt.topic], tt.delivered)
			}
		})
	}
}
