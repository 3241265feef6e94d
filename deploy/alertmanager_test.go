package deploy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"facmon/deploy/testbed"
)

const alertmanagerConfig = "alertmanager/alertmanager.yml"

// amRoute is the part of Alertmanager's route tree these tests read.
type amRoute struct {
	Receiver  string    `yaml:"receiver"`
	Matchers  []string  `yaml:"matchers"`
	GroupWait string    `yaml:"group_wait"`
	Routes    []amRoute `yaml:"routes"`
}

type amConfig struct {
	Route     amRoute `yaml:"route"`
	Receivers []struct {
		Name           string `yaml:"name"`
		WebhookConfigs []struct {
			URL string `yaml:"url"`
		} `yaml:"webhook_configs"`
	} `yaml:"receivers"`
}

func loadAlertmanagerConfig(t testing.TB) *amConfig {
	t.Helper()
	b, err := os.ReadFile(alertmanagerConfig)
	if err != nil {
		t.Fatal(err)
	}
	var c amConfig
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", alertmanagerConfig, err)
	}
	return &c
}

// criticalRoute is the sub-route of critical alarms.
func (c *amConfig) criticalRoute(t testing.TB) amRoute {
	t.Helper()
	for _, r := range c.Route.Routes {
		for _, m := range r.Matchers {
			if strings.ReplaceAll(m, " ", "") == `severity="critical"` {
				return r
			}
		}
	}
	t.Fatalf("%s: no route for severity=\"critical\"", alertmanagerConfig)
	return amRoute{}
}

func amtool(t testing.TB, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("amtool")
	if err != nil {
		t.Fatal("amtool not found (Debian package prometheus-alertmanager); run deploy/testbed/prereqs.sh")
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("amtool %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

func TestAlertmanagerConfigChecks(t *testing.T) {
	out := amtool(t, "check-config", alertmanagerConfig)
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("amtool check-config:\n%s", out)
	}
}

func TestAlertmanagerRoutes(t *testing.T) {
	tests := []struct {
		name   string
		labels []string
		want   string
	}{
		{"critical alarm to the duty phones", []string{"severity=critical", "site=demo-estate", "alertname=fire-water-low"}, "duty-phones"},
		{"warning to the control room", []string{"severity=warning", "site=demo-estate"}, "control-room"},
		{"no severity to the control room", []string{"site=demo-estate"}, "control-room"},
		{"heartbeat to the dead-man switch, never the phones", []string{"alertname=Watchdog", "severity=critical", "site=demo-estate"}, "deadman"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"config", "routes", "test", "--config.file=" + alertmanagerConfig}, tt.labels...)
			if got := strings.TrimSpace(amtool(t, args...)); got != tt.want {
				t.Errorf("routes test %v = %q, want %q", tt.labels, got, tt.want)
			}
		})
	}
}

func TestAlertmanagerCriticalGroupWaitIsShortAndDocumented(t *testing.T) {
	r := loadAlertmanagerConfig(t).criticalRoute(t)
	d, err := time.ParseDuration(r.GroupWait)
	if err != nil || d > 10*time.Second {
		t.Errorf("critical group_wait = %q, want a duration of at most 10s", r.GroupWait)
	}
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "install.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "group_wait: "+r.GroupWait) {
		t.Errorf("docs/install.md does not state the critical group_wait (%q)", "group_wait: "+r.GroupWait)
	}
}

// TestAlertmanagerWebhooksReachTheBridge checks that each webhook goes to
// the dingtalk service of compose.yaml and names a target of the
// dingtalk_config that create.sh writes.
func TestAlertmanagerWebhooksReachTheBridge(t *testing.T) {
	c := loadCompose(t)
	bridge := c.service(t, "dingtalk")
	port := ""
	for _, a := range bridge.Command {
		if v, ok := strings.CutPrefix(a, "--web.listen-address=:"); ok {
			port = v
		}
	}
	var targets struct {
		Targets map[string]any `yaml:"targets"`
	}
	b, err := os.ReadFile(filepath.Join(createSecrets(t), "dingtalk_config"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &targets); err != nil {
		t.Fatalf("dingtalk_config template: %v", err)
	}
	for _, r := range loadAlertmanagerConfig(t).Receivers {
		if r.Name == "deadman" {
			// The heartbeat goes to an outside dead-man switch, not a robot.
			continue
		}
		for _, w := range r.WebhookConfigs {
			t.Run(r.Name, func(t *testing.T) {
				u, err := url.Parse(w.URL)
				if err != nil {
					t.Fatal(err)
				}
				if u.Host != "dingtalk:"+port {
					t.Errorf("webhook %s: host %q, want dingtalk:%s", w.URL, u.Host, port)
				}
				parts := strings.Split(strings.Trim(u.Path, "/"), "/")
				if len(parts) != 3 || parts[0] != "dingtalk" || parts[2] != "send" || targets.Targets[parts[1]] == nil {
					t.Errorf("webhook %s: not /dingtalk/TARGET/send with a target of dingtalk_config", w.URL)
				}
			})
		}
	}
}

// TestAlertmanagerServesDeployConfig loads the config into a real
// Alertmanager, with the DingTalk bridge's address pointed at a recording
// HTTP server, and checks a critical alert reaches the duty target.
func TestAlertmanagerServesDeployConfig(t *testing.T) {
	paths := make(chan string, 16)
	bridge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case paths <- r.URL.Path:
		default: // later repeats are not needed
		}
	}))
	t.Cleanup(bridge.Close)
	conf, err := os.ReadFile(alertmanagerConfig)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(conf), "http://dingtalk:8060", bridge.URL)
	am := testbed.StartAlertmanager(t, testbed.AlertmanagerOptions{Config: text})
	postAlert(t, am, map[string]string{"alertname": "fire-water-low", "severity": "critical", "site": "demo-estate", "device": "fire-tank"})
	select {
	case p := <-paths:
		if p != "/dingtalk/duty/send" {
			t.Errorf("critical alert went to %s, want /dingtalk/duty/send", p)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no webhook within 60 s (group %q)\n%s", receiverOfGroups(t, am.URL), am.Log())
	}
}

func postAlert(t testing.TB, am *testbed.Alertmanager, labels map[string]string) {
	t.Helper()
	body, _ := json.Marshal([]map[string]any{{
		"labels":      labels,
		"annotations": map[string]string{"summary": "消防水池水位低"},
	}})
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s\n%s", resp.Status, am.Log())
	}
}

// receiverOfGroups returns the receiver of the first alert group.
func receiverOfGroups(t testing.TB, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts/groups")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var groups []struct {
		Receiver struct {
			Name string `json:"name"`
		} `json:"receiver"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&groups); err != nil || len(groups) == 0 {
		return ""
	}
	return groups[0].Receiver.Name
}
