package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"facmon/internal/site"
)

// oldGuideSite copies the install guide's old site file (kept in
// internal/lint/testdata) and the seed rule pack into a temp dir, as §4 of
// the guide laid them out.
func oldGuideSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "../../internal/lint/testdata/install-old.yaml", filepath.Join(dir, "site.yaml"))
	paths, _ := filepath.Glob("../../seeds/rules/*.yaml")
	for _, p := range paths {
		if !strings.HasSuffix(p, "_test.yaml") {
			copyFile(t, p, filepath.Join(dir, "rules", filepath.Base(p)))
		}
	}
	t.Setenv(site.EnvInfluxToken, "t")
	t.Setenv(site.EnvMQTTPassword, "p")
	return filepath.Join(dir, "site.yaml")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckWarnsOnTheOldInstallGuide is issue 13's "must show": the old
// guide's site file passes as valid but warns three ways (rule selection,
// no MQTT subscription, no notify route); --strict fails it.
func TestCheckWarnsOnTheOldInstallGuide(t *testing.T) {
	p := oldGuideSite(t)
	code, out, errs := run("check", "--config", p)
	if code != 0 || !strings.Contains(out, ": ok: ") || !strings.Contains(out, "4 warnings") {
		t.Fatalf("check: exit %d, want 0 with an ok line naming 4 warnings; stdout %q stderr %q", code, out, errs)
	}
	for _, want := range []string{
		p + `:22:5: warning: device "fire-tank" (water_tank) is watched by no rule: rules select labels {purpose: fire}`,
		p + `:53:5: warning: device "tank-sensor-1" (water_tank) is watched by no rule`,
		p + `:72:3: warning: mqtt: no subscriptions`,
		p + `:79:1: warning: the rules hold`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	code, out, errs = run("check", "--strict", "--config", p)
	if code != 1 || strings.Contains(out, ": ok: ") || !strings.Contains(errs, "4 warning(s), --strict") {
		t.Errorf("check --strict: exit %d, want 1 and no ok line; stdout %q stderr %q", code, out, errs)
	}
}
