package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// createSecrets runs deploy/secrets/create.sh into a temp dir, as an
// operator would before the first `docker compose up`, and returns the dir.
func createSecrets(t testing.TB, devices ...string) string {
	t.Helper()
	if _, err := exec.LookPath("mosquitto_passwd"); err != nil {
		t.Fatal("mosquitto_passwd not found; run deploy/testbed/prereqs.sh (make test does)")
	}
	dir := filepath.Join(t.TempDir(), "secrets")
	runCreate(t, dir, devices...)
	return dir
}

func runCreate(t testing.TB, dir string, devices ...string) {
	t.Helper()
	cmd := exec.Command("sh", append([]string{"secrets/create.sh", "-d", dir}, devices...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secrets/create.sh: %v\n%s", err, out)
	}
}

func readAll(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestSecretsScriptMakesEveryComposeSecret(t *testing.T) {
	c := loadCompose(t)
	dir := createSecrets(t, "tank-1")
	readme, err := os.ReadFile("secrets/README")
	if err != nil {
		t.Fatal(err)
	}
	for name, sec := range c.Secrets {
		t.Run(name, func(t *testing.T) {
			base := filepath.Base(sec.File)
			b, err := os.ReadFile(filepath.Join(dir, base))
			if err != nil || len(bytes.TrimSpace(b)) == 0 {
				t.Errorf("create.sh did not make %s: %v", base, err)
			}
			if !strings.Contains(string(readme), base) {
				t.Errorf("secrets/README does not describe %s", base)
			}
		})
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("secrets folder mode = %v, %v; want 0700", st.Mode().Perm(), err)
	}
}

func TestSecretsScriptKeepsExistingFiles(t *testing.T) {
	dir := createSecrets(t, "tank-1")
	before := readAll(t, dir)
	runCreate(t, dir, "tank-1", "tank-2")
	after := readAll(t, dir)
	for name, v := range before {
		if name == "mosquitto_passwd" {
			if !strings.HasPrefix(after[name], v) {
				t.Errorf("mosquitto_passwd: existing users changed")
			}
			continue
		}
		if after[name] != v {
			t.Errorf("%s changed on the second run", name)
		}
	}
	if after["devices/tank-2.password"] == "" || !strings.Contains(after["mosquitto_passwd"], "\ntank-2:") {
		t.Error("second run did not add device tank-2")
	}
}

func TestSecretsIgnoredByGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	c := loadCompose(t)
	for name, sec := range c.Secrets {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join("deploy", sec.File)
			cmd := exec.Command("git", "check-ignore", "-q", "--no-index", p)
			cmd.Dir = repoRoot(t)
			if err := cmd.Run(); err != nil {
				t.Errorf("%s is not ignored by git: %v", p, err)
			}
		})
	}
	for _, keep := range []string{"README", "create.sh"} {
		cmd := exec.Command("git", "check-ignore", "-q", "--no-index", filepath.Join("deploy", "secrets", keep))
		cmd.Dir = repoRoot(t)
		if cmd.Run() == nil {
			t.Errorf("deploy/secrets/%s is ignored by git", keep)
		}
	}
}
