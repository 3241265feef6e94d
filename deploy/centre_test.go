package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"facmon/alarms/centre"
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
