package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"facmon/internal/site"
)

func readInstallGuide(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "install.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var mdLink = regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)

// TestInstallGuideLinks checks every relative link of docs/install.md
// points at a file of the repository. docs/site-file.md is written by other
// work and may be missing from a checkout for a while.
func TestInstallGuideLinks(t *testing.T) {
	doc := readInstallGuide(t)
	if !strings.Contains(doc, "](site-file.md)") {
		t.Error("docs/install.md does not link the site-file reference site-file.md")
	}
	for _, m := range mdLink.FindAllStringSubmatch(doc, -1) {
		target := m[1]
		if strings.Contains(target, "://") {
			continue
		}
		p := filepath.Join(repoRoot(t), "docs", target)
		if _, err := os.Stat(p); err != nil {
			if target == "site-file.md" {
				t.Logf("docs/%s not in this checkout yet", target)
				continue
			}
			t.Errorf("docs/install.md links %s: %v", target, err)
		}
	}
}

// TestInstallGuideSiteFileLoads runs the site loader on the site file the
// guide asks the engineer to write.
func TestInstallGuideSiteFileLoads(t *testing.T) {
	doc := readInstallGuide(t)
	var block string
	for _, part := range strings.Split(doc, "```yaml\n")[1:] {
		body, _, _ := strings.Cut(part, "```")
		if strings.HasPrefix(body, "site:") {
			block = body
			break
		}
	}
	if block == "" {
		t.Fatal("docs/install.md has no ```yaml block starting with site:")
	}
	t.Setenv(site.EnvInfluxToken, "test-token")
	t.Setenv(site.EnvMQTTPassword, "test-password")
	if _, err := site.Parse("docs/install.md (site.yaml)", []byte(block)); err != nil {
		t.Errorf("the guide's site file does not load:\n%v", err)
	}
}

// TestInstallGuideNamesTheDeployFiles keeps the guide in step with the
// files it tells the engineer to use.
func TestInstallGuideNamesTheDeployFiles(t *testing.T) {
	doc := readInstallGuide(t)
	for _, f := range []string{
		"deploy/compose.yaml", "deploy/systemd/facmon.service", "deploy/secrets/create.sh",
		"deploy/secrets/README", "deploy/alertmanager/alertmanager.yml", "deploy/facmon/site.yaml",
		"deploy/influxdb/init.sh",
	} {
		t.Run(f, func(t *testing.T) {
			if !strings.Contains(doc, f) {
				t.Errorf("docs/install.md does not mention %s", f)
			}
			mustExist(t, f, filepath.Join(repoRoot(t), f))
		})
	}
	if !strings.Contains(doc, "facmon check --strict --config") {
		t.Error("docs/install.md does not show facmon check --strict --config")
	}
}
