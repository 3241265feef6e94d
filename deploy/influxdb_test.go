package deploy

import (
	"os"
	"os/exec"
	"path"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestInfluxInitScriptParses(t *testing.T) {
	out, err := exec.Command("sh", "-n", "influxdb/init.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("sh -n influxdb/init.sh: %v\n%s", err, out)
	}
}

// TestInfluxInitEnvironment checks that the names compose passes to the
// init job are the ones init.sh reads, and agree with InfluxDB's setup.
func TestInfluxInitEnvironment(t *testing.T) {
	c := loadCompose(t)
	init, db := c.service(t, "influxdb-init"), c.service(t, "influxdb")
	script, err := os.ReadFile("influxdb/init.sh")
	if err != nil {
		t.Fatal(err)
	}
	for k := range init.Environment {
		if !strings.Contains(string(script), "${"+k) && !strings.Contains(string(script), "$"+k) {
			t.Errorf("influxdb-init: environment %s is not read by init.sh", k)
		}
	}
	pairs := []struct{ init, setup string }{
		{"INFLUX_ORG", "DOCKER_INFLUXDB_INIT_ORG"},
		{"FACMON_BUCKET", "DOCKER_INFLUXDB_INIT_BUCKET"},
	}
	for _, p := range pairs {
		if init.Environment[p.init] != db.Environment[p.setup] {
			t.Errorf("influxdb-init %s=%q but influxdb %s=%q", p.init, init.Environment[p.init], p.setup, db.Environment[p.setup])
		}
	}
	if admin := init.Environment["ADMIN_TOKEN_FILE"]; admin != db.Environment["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN_FILE"] {
		t.Errorf("init reads the admin token from %s, InfluxDB's setup from %s", admin, db.Environment["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN_FILE"])
	}
}

// exampleSite is the part of deploy/facmon/site.yaml that must agree with
// the compose stack.
type exampleSite struct {
	Storage struct {
		Influx struct {
			URL       string `yaml:"url"`
			Org       string `yaml:"org"`
			Bucket    string `yaml:"bucket"`
			TokenFile string `yaml:"token_file"`
		} `yaml:"influx"`
	} `yaml:"storage"`
	MQTT struct {
		URL          string `yaml:"url"`
		Username     string `yaml:"username"`
		PasswordFile string `yaml:"password_file"`
	} `yaml:"mqtt"`
	HTTP struct {
		Listen string `yaml:"listen"`
	} `yaml:"http"`
}

// TestExampleSiteMatchesStack follows each credential of the example site
// file to where compose puts it: the token init.sh issues into the shared
// volume, the MQTT password secret of the user the ACL names.
func TestExampleSiteMatchesStack(t *testing.T) {
	c := loadCompose(t)
	facmon, init := c.service(t, "facmon"), c.service(t, "influxdb-init")
	w, ok := c.resolve(t, facmon, "/etc/facmon/site.yaml")
	if !ok || w.Host == "" {
		t.Fatal("compose.yaml: no site file mounted")
	}
	b, err := os.ReadFile(w.Host)
	if err != nil {
		t.Fatal(err)
	}
	var s exampleSite
	if err := yaml.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", w.Host, err)
	}
	tok, ok := c.resolve(t, facmon, s.Storage.Influx.TokenFile)
	initTok, ok2 := c.resolve(t, init, path.Join(init.Environment["TOKENS_DIR"], "facmon.token"))
	if !ok || !ok2 || tok.Volume == "" || tok != initTok {
		t.Errorf("token_file %s (%+v) is not the facmon.token init.sh writes (%+v)", s.Storage.Influx.TokenFile, tok, initTok)
	}
	if init.Environment["FACMON_UID"] != strings.Split(facmon.User, ":")[0] {
		t.Errorf("init.sh gives the token to uid %s, facmon runs as %s", init.Environment["FACMON_UID"], facmon.User)
	}
	if s.Storage.Influx.Org != init.Environment["INFLUX_ORG"] || s.Storage.Influx.Bucket != init.Environment["FACMON_BUCKET"] {
		t.Errorf("site org/bucket %s/%s, stack %s/%s", s.Storage.Influx.Org, s.Storage.Influx.Bucket, init.Environment["INFLUX_ORG"], init.Environment["FACMON_BUCKET"])
	}
	if !strings.HasPrefix(s.Storage.Influx.URL, "http://influxdb:") || !strings.HasPrefix(s.MQTT.URL, "ssl://mosquitto:") {
		t.Errorf("site urls %s, %s: want the compose services influxdb and mosquitto", s.Storage.Influx.URL, s.MQTT.URL)
	}
	if pw, ok := c.resolve(t, facmon, s.MQTT.PasswordFile); !ok || pw.Host == "" {
		t.Errorf("mqtt.password_file %s is not a secret of the facmon service", s.MQTT.PasswordFile)
	}
	acl, err := os.ReadFile("mosquitto/acl")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(acl), "\nuser "+s.MQTT.Username+"\n") {
		t.Errorf("mqtt.username %q has no block in mosquitto/acl", s.MQTT.Username)
	}
}
