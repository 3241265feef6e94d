package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const unitFile = "systemd/facmon.service"

// unitDirectives reads a unit file into directive → values (in order).
func unitDirectives(t testing.TB) map[string][]string {
	t.Helper()
	f, err := os.Open(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=VALUE", unitFile, line)
		}
		d[k] = append(d[k], v)
	}
	return d
}

func TestSystemdUnitHardening(t *testing.T) {
	d := unitDirectives(t)
	tests := []struct{ key, want string }{
		{"User", "facmon"},
		{"SupplementaryGroups", "dialout"},
		{"ProtectSystem", "strict"},
		{"ProtectHome", "yes"},
		{"PrivateTmp", "yes"},
		{"NoNewPrivileges", "yes"},
		{"CapabilityBoundingSet", ""},
		{"StateDirectory", "facmon"},
		{"ConfigurationDirectory", "facmon"},
		{"RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"},
		{"SystemCallFilter", "@system-service"},
		{"Restart", "on-failure"},
		{"ExecReload", "/bin/kill -HUP $MAINPID"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if !slices.Contains(d[tt.key], tt.want) {
				t.Errorf("%s=%v, want %s=%s", tt.key, d[tt.key], tt.key, tt.want)
			}
		})
	}
	start := strings.Join(d["ExecStart"], " ")
	for _, want := range []string{"/usr/local/bin/facmon run", "--config /etc/facmon/site.yaml", "--data-dir /var/lib/facmon"} {
		if !strings.Contains(start, want) {
			t.Errorf("ExecStart=%s lacks %q", start, want)
		}
	}
	if pre := strings.Join(d["ExecStartPre"], " "); !strings.Contains(pre, "facmon check --config /etc/facmon/site.yaml") {
		t.Errorf("ExecStartPre=%s: the site file should be checked before start", pre)
	}
}

// TestSystemdUnitVerifies runs systemd-analyze verify on a copy of the unit
// whose facmon binary is a stand-in executable (verify checks it exists).
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed; the unit's directives are checked by TestSystemdUnitHardening")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "facmon")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "facmon.service")
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/facmon", bin)
	if err := os.WriteFile(copyPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", copyPath).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unitFile, err, out)
	}
}
