package deploy

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type grafanaDatasources struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name     string            `yaml:"name"`
		UID      string            `yaml:"uid"`
		Type     string            `yaml:"type"`
		URL      string            `yaml:"url"`
		User     string            `yaml:"user"`
		JSONData map[string]any    `yaml:"jsonData"`
		Secure   map[string]string `yaml:"secureJsonData"`
	} `yaml:"datasources"`
}

type grafanaProviders struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name    string `yaml:"name"`
		Type    string `yaml:"type"`
		Options struct {
			Path string `yaml:"path"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

// grafanaProvisioning returns the host folder compose mounts as Grafana's
// provisioning folder.
func grafanaProvisioning(t testing.TB, c *composeFile) string {
	t.Helper()
	w, ok := c.resolve(t, c.service(t, "grafana"), "/etc/grafana/provisioning")
	if !ok || w.Host == "" {
		t.Fatal("compose.yaml: grafana has no /etc/grafana/provisioning mount")
	}
	return w.Host
}

// decodeYAML reads a YAML file into v; the structs name only what the
// tests check, so unknown keys are allowed.
func decodeYAML(t testing.TB, path string, v any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

var fileRef = regexp.MustCompile(`^\$__file\{(.+)\}$`)

func TestGrafanaDatasources(t *testing.T) {
	c := loadCompose(t)
	g := c.service(t, "grafana")
	var ds grafanaDatasources
	decodeYAML(t, filepath.Join(grafanaProvisioning(t, c), "datasources", "facmon.yaml"), &ds)
	if ds.APIVersion != 1 {
		t.Errorf("apiVersion = %d, want 1", ds.APIVersion)
	}
	types := map[string]bool{}
	for _, d := range ds.Datasources {
		types[d.Type] = true
		t.Run(d.Name, func(t *testing.T) {
			u, err := url.Parse(d.URL)
			if err != nil {
				t.Fatal(err)
			}
			host, _, _ := net.SplitHostPort(u.Host)
			if _, ok := c.Services[host]; !ok {
				t.Errorf("url %s: no compose service %q", d.URL, host)
			}
			for k, v := range d.Secure {
				m := fileRef.FindStringSubmatch(v)
				if m == nil {
					t.Errorf("secureJsonData.%s is inline; use $__file{/run/secrets/...}", k)
					continue
				}
				if _, ok := c.resolve(t, g, m[1]); !ok {
					t.Errorf("secureJsonData.%s: %s is not a secret of the grafana service", k, m[1])
				}
			}
		})
	}
	for _, want := range []string{"influxdb", "prometheus"} {
		if !types[want] {
			t.Errorf("no %s datasource", want)
		}
	}
}

// TestGrafanaInfluxMatchesInit checks the InfluxQL datasource against what
// deploy/influxdb/init.sh makes: the DBRP database, the read-only v1 user
// and its password secret.
func TestGrafanaInfluxMatchesInit(t *testing.T) {
	c := loadCompose(t)
	var ds grafanaDatasources
	decodeYAML(t, filepath.Join(grafanaProvisioning(t, c), "datasources", "facmon.yaml"), &ds)
	init := c.service(t, "influxdb-init")
	script, err := os.ReadFile("influxdb/init.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds.Datasources {
		if d.Type != "influxdb" {
			continue
		}
		if d.JSONData["version"] != "InfluxQL" {
			t.Errorf("%s: jsonData.version = %v, want InfluxQL (dashboards use InfluxQL only)", d.Name, d.JSONData["version"])
		}
		if d.JSONData["dbName"] != init.Environment["FACMON_DB"] {
			t.Errorf("%s: dbName %v, but init.sh maps database %q", d.Name, d.JSONData["dbName"], init.Environment["FACMON_DB"])
		}
		if !strings.Contains(string(script), "--username "+d.User) {
			t.Errorf("%s: user %q is not the v1 user init.sh creates", d.Name, d.User)
		}
		m := fileRef.FindStringSubmatch(d.Secure["password"])
		if m == nil || m[1] != init.Environment["GRAFANA_PASSWORD_FILE"] {
			t.Errorf("%s: password %q, but init.sh sets it from %q", d.Name, d.Secure["password"], init.Environment["GRAFANA_PASSWORD_FILE"])
		}
		if !strings.HasPrefix(d.URL, "http://influxdb:8086") || init.Environment["INFLUX_HOST"] != "http://influxdb:8086" {
			t.Errorf("%s: url %s and init's INFLUX_HOST %s differ", d.Name, d.URL, init.Environment["INFLUX_HOST"])
		}
	}
}

// TestGrafanaDashboardProvider checks the provider's folder is the
// repository's dashboards/ and that every JSON file there is a dashboard
// Grafana can load.
func TestGrafanaDashboardProvider(t *testing.T) {
	c := loadCompose(t)
	var p grafanaProviders
	decodeYAML(t, filepath.Join(grafanaProvisioning(t, c), "dashboards", "facmon.yaml"), &p)
	if len(p.Providers) == 0 {
		t.Fatal("no dashboard providers")
	}
	for _, prov := range p.Providers {
		t.Run(prov.Name, func(t *testing.T) {
			w, ok := c.resolve(t, c.service(t, "grafana"), prov.Options.Path)
			if !ok || w.Host == "" {
				t.Fatalf("provider path %s is not mounted from the repository", prov.Options.Path)
			}
			if want := filepath.Join(repoRoot(t), "dashboards"); w.Host != want {
				t.Errorf("provider path %s comes from %s, want %s", prov.Options.Path, w.Host, want)
			}
			if _, err := os.Stat(w.Host); err != nil {
				t.Skipf("dashboards/ is not in this checkout yet: %v", err)
			}
			checkDashboards(t, w.Host)
		})
	}
}

// checkDashboards parses every *.json below dir (Grafana's file provider
// walks subfolders) as a dashboard with a title and a unique uid.
func checkDashboards(t *testing.T, dir string) {
	uids := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var dash struct {
			UID    string            `json:"uid"`
			Title  string            `json:"title"`
			Panels []json.RawMessage `json:"panels"`
		}
		if err := json.Unmarshal(b, &dash); err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if dash.Title == "" || dash.UID == "" || len(dash.Panels) == 0 {
			t.Errorf("%s: not a dashboard (title %q, uid %q, %d panels)", p, dash.Title, dash.UID, len(dash.Panels))
		}
		if prev, dup := uids[dash.UID]; dup {
			t.Errorf("%s: uid %q also in %s", p, dash.UID, prev)
		}
		uids[dash.UID] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d dashboards in %s", len(uids), dir)
}

type prometheusConfig struct {
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// TestPrometheusScrapesTheStack checks every scrape target is a compose
// service (or Prometheus itself), and facmon's port is the one it listens on.
func TestPrometheusScrapesTheStack(t *testing.T) {
	c := loadCompose(t)
	w, ok := c.resolve(t, c.service(t, "prometheus"), "/etc/prometheus/prometheus.yml")
	if !ok || w.Host == "" {
		t.Fatal("compose.yaml: prometheus.yml not mounted")
	}
	var pc prometheusConfig
	decodeYAML(t, w.Host, &pc)
	facmon := c.service(t, "facmon")
	listen := facmon.Command[slices.Index(facmon.Command, "--listen")+1]
	jobs := map[string]bool{}
	for _, sc := range pc.ScrapeConfigs {
		jobs[sc.JobName] = true
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				host, port, err := net.SplitHostPort(target)
				if err != nil {
					t.Errorf("job %s: target %q: %v", sc.JobName, target, err)
					continue
				}
				if _, ok := c.Services[host]; !ok && host != "localhost" {
					t.Errorf("job %s: target %q is no compose service", sc.JobName, target)
				}
				if host == "facmon" && ":"+port != listen {
					t.Errorf("job %s: facmon listens on %s, target is %s", sc.JobName, listen, target)
				}
			}
		}
	}
	if !jobs["facmon"] {
		t.Error("no facmon scrape job")
	}
}

// TestPrometheusConfigChecks runs promtool on the config when it is
// installed (Debian package prometheus).
func TestPrometheusConfigChecks(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian: apt-get install prometheus); TestPrometheusScrapesTheStack checks the targets")
	}
	// The scrape credentials are compose secrets of the prometheus
	// service; promtool wants the files, so they come from create.sh.
	text, err := os.ReadFile("prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	c := loadCompose(t)
	secrets := createSecrets(t)
	conf := regexp.MustCompile(`/run/secrets/[a-z_]+`).ReplaceAllStringFunc(string(text), func(p string) string {
		w, ok := c.resolve(t, c.service(t, "prometheus"), p)
		if !ok || w.Host == "" {
			t.Errorf("prometheus.yml: %s is not a secret of the prometheus service", p)
			return p
		}
		return filepath.Join(secrets, filepath.Base(w.Host))
	})
	path := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "config", path).CombinedOutput()
	if err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}
