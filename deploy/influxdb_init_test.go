package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// influxStub stands in for the influx CLI inside the influxdb image, which
// is not on this machine (the InfluxDB 2.x server needs a Docker engine
// here). It answers like the CLI, keeps what was created in a state folder,
// and logs every call, so the test sees what init.sh asks of InfluxDB. It
// checks init.sh's own logic — parsing, idempotency, least privilege — not
// InfluxDB.
const influxStub = `#!/bin/sh
echo "$*" >>"$STUB_DIR/calls"
case "$1 $2 $3" in
"ping  ") exit 0 ;;
"bucket list "*) printf '0a1b2c3d4e5f6071\tfacmon\t9600h0m0s\tn/a\t0123456789abcdef\timplicit\n' ;;
"v1 dbrp list") [ -f "$STUB_DIR/dbrp" ] && printf '0d0d0d0d0d0d0d0d\tfacmon\t0a1b2c3d4e5f6071\tautogen\ttrue\tfalse\t0123456789abcdef\n'; exit 0 ;;
"v1 dbrp create") touch "$STUB_DIR/dbrp" ;;
"auth create "*)
	n=$(wc -l <"$STUB_DIR/calls")
	if [ -n "$STUB_COMPACT" ]; then
		printf '[{"id":"0e0e","description":"x","token":"tok-%s_AbC-9==","status":"active"}]\n' "$n"
	else
		printf '{\n\t"id": "0e0e",\n\t"description": "x",\n\t"token": "tok-%s_AbC-9==",\n\t"status": "active"\n}\n' "$n"
	fi ;;
"v1 auth list") [ -f "$STUB_DIR/v1" ] && printf '0f0f\tgrafana\ttrue\n'; exit 0 ;;
"v1 auth create") touch "$STUB_DIR/v1" ;;
"v1 auth set-password") ;;
*) echo "influx stub: unexpected: $*" >&2; exit 3 ;;
esac
`

type initRun struct {
	dir, tokens string
}

func newInitRun(t *testing.T, compact bool) *initRun {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	r := &initRun{dir: dir, tokens: filepath.Join(dir, "tokens")}
	for _, d := range []string{bin, r.tokens} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(bin, "influx"):           influxStub,
		filepath.Join(dir, "admin_token"):      "operator-token\n",
		filepath.Join(dir, "grafana_password"): "grafana-pw\n",
	}
	for p, text := range files {
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if compact {
		t.Setenv("STUB_COMPACT", "1")
	}
	return r
}

// run runs init.sh with the environment compose gives the influxdb-init
// service, paths redirected into the temp dir.
func (r *initRun) run(t *testing.T) string {
	t.Helper()
	c := loadCompose(t)
	env := os.Environ()
	for k, v := range c.service(t, "influxdb-init").Environment {
		env = append(env, k+"="+v)
	}
	env = append(env,
		"PATH="+filepath.Join(r.dir, "bin")+":"+os.Getenv("PATH"),
		"STUB_DIR="+r.dir,
		"ADMIN_TOKEN_FILE="+filepath.Join(r.dir, "admin_token"),
		"GRAFANA_PASSWORD_FILE="+filepath.Join(r.dir, "grafana_password"),
		"TOKENS_DIR="+r.tokens,
		fmt.Sprintf("FACMON_UID=%d", os.Getuid()),
	)
	cmd := exec.Command("sh", "influxdb/init.sh")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("init.sh: %v\n%s", err, out)
	}
	calls, _ := os.ReadFile(filepath.Join(r.dir, "calls"))
	return string(calls)
}

func callsOf(log, prefix string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func TestInfluxInitFirstRun(t *testing.T) {
	for _, compact := range []bool{false, true} {
		t.Run(fmt.Sprintf("compact JSON %v", compact), func(t *testing.T) {
			r := newInitRun(t, compact)
			log := r.run(t)
			tok, err := os.ReadFile(filepath.Join(r.tokens, "facmon.token"))
			if err != nil || !strings.HasPrefix(string(tok), "tok-") || !strings.HasSuffix(string(tok), "_AbC-9==\n") {
				t.Fatalf("facmon.token = %q, %v", tok, err)
			}
			if st, _ := os.Stat(filepath.Join(r.tokens, "facmon.token")); st.Mode().Perm() != 0o400 {
				t.Errorf("facmon.token mode %v, want 0400", st.Mode().Perm())
			}
			checkFirstRunCalls(t, log)
		})
	}
}

// checkFirstRunCalls checks the grants: write-only for facmon, read-only for
// Grafana, both on the facmon bucket alone, and the DBRP mapping.
func checkFirstRunCalls(t *testing.T, log string) {
	t.Helper()
	const bucket = "0a1b2c3d4e5f6071"
	tests := []struct{ name, prefix, want string }{
		{"dbrp", "v1 dbrp create", "--db facmon --rp autogen --bucket-id " + bucket + " --default"},
		{"facmon token", "auth create", "--write-bucket " + bucket + " --description"},
		{"grafana user", "v1 auth create", "--username grafana --password grafana-pw --read-bucket " + bucket},
	}
	for _, tt := range tests {
		calls := callsOf(log, tt.prefix)
		if len(calls) != 1 || !strings.Contains(calls[0], tt.want) {
			t.Errorf("%s: calls %q, want one with %q", tt.name, calls, tt.want)
		}
	}
	for _, c := range callsOf(log, "auth create") {
		if strings.Contains(c, "--read-") || strings.Contains(c, "--all-access") || strings.Contains(c, "--operator") {
			t.Errorf("facmon's token has more than write on its bucket: %s", c)
		}
	}
	for _, c := range callsOf(log, "v1 auth create") {
		if strings.Contains(c, "--write-bucket") {
			t.Errorf("grafana's user may write: %s", c)
		}
	}
}

func TestInfluxInitRunsAgainWithoutNewGrants(t *testing.T) {
	r := newInitRun(t, false)
	r.run(t)
	first, _ := os.ReadFile(filepath.Join(r.tokens, "facmon.token"))
	log := r.run(t)
	second, _ := os.ReadFile(filepath.Join(r.tokens, "facmon.token"))
	if string(first) != string(second) {
		t.Error("the second run replaced facmon's token")
	}
	for _, prefix := range []string{"auth create", "v1 dbrp create", "v1 auth create"} {
		if n := len(callsOf(log, prefix)); n != 1 {
			t.Errorf("%s called %d times over two runs, want 1", prefix, n)
		}
	}
	if n := len(callsOf(log, "v1 auth set-password --username grafana --password grafana-pw")); n != 1 {
		t.Errorf("second run set Grafana's password %d times, want 1 (rotation from the secret)", n)
	}
}
