package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is the part of the Compose specification these tests read.
type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]composeSecret  `yaml:"secrets"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeSecret struct {
	File string `yaml:"file"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       *composeBuild     `yaml:"build"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	User        string            `yaml:"user"`
	ReadOnly    bool              `yaml:"read_only"`
	Privileged  bool              `yaml:"privileged"`
	CapDrop     []string          `yaml:"cap_drop"`
	SecurityOpt []string          `yaml:"security_opt"`
	Environment map[string]string `yaml:"environment"`
	Secrets     []string          `yaml:"secrets"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	Restart     string            `yaml:"restart"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

// composeTopKeys and composeServiceKeys are the Compose keys this project
// may use; anything else is a typo (x- extensions aside).
var (
	composeTopKeys     = []string{"name", "services", "secrets", "volumes", "networks", "configs"}
	composeServiceKeys = []string{
		"<<", "image", "build", "entrypoint", "command", "user", "read_only", "privileged",
		"cap_drop", "cap_add", "security_opt", "environment", "secrets", "volumes", "ports",
		"restart", "depends_on", "healthcheck", "logging", "devices", "group_add", "tmpfs",
		"networks", "configs", "labels", "stop_grace_period", "ulimits", "working_dir",
	}
)

// deployDir is this folder; tests run in it.
func deployDir(t testing.TB) string {
	t.Helper()
	d, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// repoRoot is the repository root, one folder up.
func repoRoot(t testing.TB) string { return filepath.Dir(deployDir(t)) }

// loadCompose reads compose.yaml, rejecting keys Compose would not know.
func loadCompose(t testing.TB) *composeFile {
	t.Helper()
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	checkKeys(t, "compose.yaml", root.Content[0], composeTopKeys)
	if svcs := mapValue(root.Content[0], "services"); svcs != nil {
		for i := 0; i+1 < len(svcs.Content); i += 2 {
			checkKeys(t, "compose.yaml: service "+svcs.Content[i].Value, svcs.Content[i+1], composeServiceKeys)
		}
	}
	var c composeFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return &c
}

// checkKeys fails for each key of mapping n not in allowed nor x-*.
func checkKeys(t testing.TB, where string, n *yaml.Node, allowed []string) {
	t.Helper()
	if n.Kind != yaml.MappingNode {
		t.Fatalf("%s:%d: not a mapping", where, n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) && !strings.HasPrefix(k.Value, "x-") {
			t.Errorf("%s:%d: unknown key %q", where, k.Line, k.Value)
		}
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// service returns the named service or fails.
func (c *composeFile) service(t testing.TB, name string) composeService {
	t.Helper()
	s, ok := c.Services[name]
	if !ok {
		t.Fatalf("compose.yaml: no service %q", name)
	}
	return s
}

// mount is one entry of a service's volumes.
type mount struct {
	Source, Target string
	ReadOnly       bool
	Bind           bool // Source is a path relative to deploy/, else a named volume
}

func parseMount(s string) (mount, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return mount{}, fmt.Errorf("volume %q: want SOURCE:TARGET[:ro]", s)
	}
	m := mount{Source: parts[0], Target: parts[1]}
	m.Bind = strings.HasPrefix(m.Source, ".") || strings.HasPrefix(m.Source, "/")
	if len(parts) == 3 {
		m.ReadOnly = parts[2] == "ro"
	}
	return m, nil
}

func (s composeService) mounts(t testing.TB) []mount {
	t.Helper()
	var ms []mount
	for _, v := range s.Volumes {
		m, err := parseMount(v)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

// where says where a path inside the container comes from.
type where struct {
	Host   string // a host path (absolute) for bind mounts and secrets
	Volume string // a named volume
	Rest   string // the part of the path below the volume's mount point
}

// resolve maps a container path of service s to its origin: a file of the
// repository, a secret file, or a named volume.
func (c *composeFile) resolve(t testing.TB, s composeService, path string) (where, bool) {
	t.Helper()
	if name, ok := strings.CutPrefix(path, "/run/secrets/"); ok {
		sec, declared := c.Secrets[name]
		if !declared || !slices.Contains(s.Secrets, name) {
			return where{}, false
		}
		return where{Host: filepath.Join(deployDir(t), sec.File)}, true
	}
	best := mount{}
	for _, m := range s.mounts(t) {
		if (path == m.Target || strings.HasPrefix(path, m.Target+"/")) && len(m.Target) > len(best.Target) {
			best = m
		}
	}
	if best.Target == "" {
		return where{}, false
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(path, best.Target), "/")
	if !best.Bind {
		return where{Volume: best.Source, Rest: rest}, true
	}
	return where{Host: filepath.Join(deployDir(t), best.Source, rest)}, true
}

// layoutDirs are folders of the repository layout (DESIGN.md) that other
// work fills; until it lands they may be missing from a checkout.
var layoutDirs = []string{"dashboards", filepath.Join("seeds", "rules")}

func isLayoutDir(t testing.TB, host string) bool {
	for _, d := range layoutDirs {
		if host == filepath.Join(repoRoot(t), d) {
			return true
		}
	}
	return false
}

func TestComposeReferencesExist(t *testing.T) {
	c := loadCompose(t)
	if len(c.Services) == 0 {
		t.Fatal("compose.yaml: no services")
	}
	for name, s := range c.Services {
		t.Run(name, func(t *testing.T) {
			checkServiceFiles(t, c, s)
		})
	}
	for name, sec := range c.Secrets {
		if !strings.HasPrefix(sec.File, "./secrets/") {
			t.Errorf("secret %s: file %q is not under deploy/secrets/", name, sec.File)
		}
	}
}

func checkServiceFiles(t *testing.T, c *composeFile, s composeService) {
	if s.Image == "" && s.Build == nil {
		t.Error("neither image nor build")
	}
	if s.Image != "" && (!strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest")) && s.Build == nil {
		t.Errorf("image %q: pin a version tag", s.Image)
	}
	if s.Build != nil {
		ctx := filepath.Join(deployDir(t), s.Build.Context)
		mustExist(t, "build context", ctx)
		mustExist(t, "dockerfile", filepath.Join(ctx, s.Build.Dockerfile))
	}
	for _, m := range s.mounts(t) {
		if !m.Bind {
			if _, ok := c.Volumes[m.Source]; !ok {
				t.Errorf("volume %q not declared under volumes:", m.Source)
			}
			continue
		}
		host := filepath.Join(deployDir(t), m.Source)
		if _, err := os.Stat(host); err != nil && isLayoutDir(t, host) {
			t.Logf("%s: not in this checkout yet (layout folder filled by other work)", m.Source)
			continue
		}
		mustExist(t, "mount "+m.Source, host)
		if !m.ReadOnly {
			t.Errorf("bind mount %s: mount the repository's files read-only (:ro)", m.Source)
		}
	}
	for _, sec := range s.Secrets {
		if _, ok := c.Secrets[sec]; !ok {
			t.Errorf("secret %q not declared under secrets:", sec)
		}
	}
	for dep := range s.DependsOn {
		if _, ok := c.Services[dep]; !ok {
			t.Errorf("depends_on %q: no such service", dep)
		}
	}
	if s.Restart == "" {
		t.Error("no restart policy")
	}
}

func mustExist(t testing.TB, what, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func TestComposeDeclaredSecretsAreUsed(t *testing.T) {
	c := loadCompose(t)
	for name := range c.Secrets {
		used := false
		for _, s := range c.Services {
			used = used || slices.Contains(s.Secrets, name)
		}
		if !used {
			t.Errorf("secret %s declared but no service mounts it", name)
		}
	}
}

// secretLike says an environment variable or argument names a credential.
func secretLike(name string) bool {
	n := strings.ToUpper(name)
	if strings.HasSuffix(n, "_DIR") {
		return false // a folder of secrets, not a secret
	}
	for _, w := range []string{"PASSWORD", "TOKEN", "SECRET", "PASSWD", "APIKEY", "API_KEY"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func TestComposeNoInlineSecrets(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		t.Run(name, func(t *testing.T) {
			for k, v := range s.Environment {
				if strings.HasPrefix(v, "/run/secrets/") {
					if _, ok := c.resolve(t, s, v); !ok {
						t.Errorf("environment %s=%s: secret not mounted in this service", k, v)
					}
				}
				if !secretLike(k) {
					continue
				}
				if !strings.HasSuffix(k, "_FILE") || !strings.HasPrefix(v, "/run/secrets/") {
					t.Errorf("environment %s: a credential must come from a secret file (%s_FILE=/run/secrets/...)", k, k)
				}
			}
			for _, arg := range append(slices.Clone(s.Command), s.Entrypoint...) {
				if k, _, ok := strings.Cut(arg, "="); ok && secretLike(k) && !strings.Contains(arg, "/run/secrets/") {
					t.Errorf("argument %q: a credential on the command line", arg)
				}
			}
		})
	}
}

func TestComposeFacmonHardening(t *testing.T) {
	c := loadCompose(t)
	s := c.service(t, "facmon")
	if !s.ReadOnly {
		t.Error("facmon: read_only: true (state lives in the /var/lib/facmon volume)")
	}
	if uid, _, _ := strings.Cut(s.User, ":"); uid == "" || uid == "0" || uid == "root" {
		t.Errorf("facmon: user %q, want a non-root uid", s.User)
	}
	if !slices.Contains(s.CapDrop, "ALL") {
		t.Error("facmon: cap_drop: [ALL]")
	}
	if !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
		t.Error("facmon: security_opt no-new-privileges:true")
	}
	if s.Privileged {
		t.Error("facmon: privileged")
	}
	w, ok := c.resolve(t, s, "/var/lib/facmon")
	if !ok || w.Volume == "" {
		t.Errorf("facmon: /var/lib/facmon is not a named volume (%+v)", w)
	}
	if w, ok := c.resolve(t, s, "/etc/facmon/site.yaml"); !ok || w.Host == "" {
		t.Error("facmon: the site file is not mounted at /etc/facmon/site.yaml")
	}
	for _, name := range []string{"facmon", "influxdb", "mosquitto", "grafana", "alertmanager", "prometheus"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
}

func TestComposeGrafanaAccess(t *testing.T) {
	c := loadCompose(t)
	g := c.service(t, "grafana")
	tests := []struct{ key, want string }{
		{"GF_AUTH_ANONYMOUS_ENABLED", "false"},
		{"GF_USERS_ALLOW_SIGN_UP", "false"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := g.Environment[tt.key]; got != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
	pw := g.Environment["GF_SECURITY_ADMIN_PASSWORD__FILE"]
	if _, ok := c.resolve(t, g, pw); !ok || pw == "" {
		t.Errorf("GF_SECURITY_ADMIN_PASSWORD__FILE = %q: not a mounted secret", pw)
	}
}

// TestComposeSchema validates compose.yaml with a Compose implementation
// when one is installed: `docker compose` (v2) or Debian's docker-compose
// 1.29 (which predates the top-level name key, so it gets a copy without
// it). Neither needs a Docker engine for `config`.
func TestComposeSchema(t *testing.T) {
	if out, err := exec.Command("docker", "compose", "version").CombinedOutput(); err == nil && bytes.Contains(out, []byte("version")) {
		runCompose(t, "docker", "compose", "-f", "compose.yaml", "config", "-q")
		return
	}
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Skip("neither docker compose nor docker-compose installed (Debian: apt-get install docker-compose)")
	}
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "name:") {
			lines = append(lines, l)
		}
	}
	cp := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(cp, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	runCompose(t, "docker-compose", "-f", cp, "--project-directory", deployDir(t), "config", "-q")
}

func runCompose(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
