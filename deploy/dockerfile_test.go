package deploy

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	Line int
	Cmd  string // upper case: FROM, RUN, COPY, ...
	Args string
}

// stage is the instructions from one FROM to the next.
type stage struct {
	From string
	Name string
	Ins  []instruction
}

func parseDockerfile(t testing.TB, path string) []stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []stage
	var cur strings.Builder
	start, n := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if body, more := strings.CutSuffix(line, "\\"); more {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		in := instruction{Line: start, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		cur.Reset()
		if in.Cmd == "FROM" {
			from, name, _ := strings.Cut(in.Args, " AS ")
			stages = append(stages, stage{From: strings.TrimSpace(from), Name: strings.TrimSpace(name)})
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].Ins = append(stages[len(stages)-1].Ins, in)
		}
	}
	return stages
}

// find returns the stage's instructions of one kind.
func (s stage) find(cmd string) []instruction {
	var out []instruction
	for _, in := range s.Ins {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// execForm decodes a JSON-array argument (ENTRYPOINT ["a", "b"]).
func execForm(t testing.TB, in instruction) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(in.Args), &v); err != nil || len(v) == 0 {
		t.Fatalf("Dockerfile:%d: %s %s: not the exec (JSON) form: %v", in.Line, in.Cmd, in.Args, err)
	}
	return v
}

var buildOut = regexp.MustCompile(`-o\s+(\S+)\s+\./cmd/facmon\b`)

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, "Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and a runtime stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.From, "golang:") {
		t.Errorf("build stage FROM %s, want golang:", build.From)
	}
	if !strings.Contains(final.From, "distroless/static") && final.From != "scratch" {
		t.Errorf("runtime stage FROM %s, want distroless/static or scratch", final.From)
	}
	built := checkGoBuild(t, build)
	bin := checkCopy(t, final, build.Name, built)
	checkRuntime(t, final, bin)
}

// checkGoBuild finds the go build of ./cmd/facmon and returns its output.
func checkGoBuild(t *testing.T, build stage) string {
	for _, in := range build.find("RUN") {
		m := buildOut.FindStringSubmatch(in.Args)
		if m == nil {
			continue
		}
		for _, want := range []string{"CGO_ENABLED=0", "go build", "-trimpath"} {
			if !strings.Contains(in.Args, want) {
				t.Errorf("Dockerfile:%d: go build lacks %s", in.Line, want)
			}
		}
		return m[1]
	}
	t.Fatal("Dockerfile: no `go build ... -o OUT ./cmd/facmon` in the build stage")
	return ""
}

// checkCopy finds the COPY of the built binary into the runtime stage and
// returns where it lands.
func checkCopy(t *testing.T, final stage, from, built string) string {
	for _, in := range final.find("COPY") {
		f := strings.Fields(in.Args)
		if slices.Contains(f, "--from="+from) && slices.Contains(f, built) {
			return f[len(f)-1]
		}
	}
	t.Fatalf("Dockerfile: the runtime stage does not COPY --from=%s %s", from, built)
	return ""
}

func checkRuntime(t *testing.T, final stage, bin string) {
	users := final.find("USER")
	if len(users) == 0 {
		t.Fatal("Dockerfile: no USER in the runtime stage (it would run as root)")
	}
	if u, _, _ := strings.Cut(users[len(users)-1].Args, ":"); u == "root" || u == "0" {
		t.Errorf("Dockerfile: USER %s", users[len(users)-1].Args)
	}
	ep := final.find("ENTRYPOINT")
	if len(ep) != 1 || execForm(t, ep[0])[0] != bin {
		t.Errorf("Dockerfile: ENTRYPOINT is not the copied binary %s", bin)
	}
	hc := final.find("HEALTHCHECK")
	if len(hc) != 1 {
		t.Fatal("Dockerfile: want one HEALTHCHECK")
	}
	_, cmd, _ := strings.Cut(hc[0].Args, "CMD ")
	probe := execForm(t, instruction{Line: hc[0].Line, Cmd: "HEALTHCHECK", Args: cmd})
	if probe[0] != bin || !strings.Contains(strings.Join(probe, " "), "/healthz") {
		t.Errorf("Dockerfile: HEALTHCHECK %v should run %s against /healthz", probe, bin)
	}
	if v := final.find("VOLUME"); len(v) != 1 || !slices.Contains(execForm(t, v[0]), "/var/lib/facmon") {
		t.Error(`Dockerfile: want VOLUME ["/var/lib/facmon"] (the only writable state)`)
	}
}

// TestDockerfileMatchesCompose checks compose builds this Dockerfile from
// the repository root, runs it as the image's user, and that the build
// context keeps the secrets out.
func TestDockerfileMatchesCompose(t *testing.T) {
	c := loadCompose(t)
	s := c.service(t, "facmon")
	if s.Build == nil {
		t.Fatal("compose.yaml: facmon has no build")
	}
	ctx := filepath.Join(deployDir(t), s.Build.Context)
	if ctx != repoRoot(t) || filepath.Join(ctx, s.Build.Dockerfile) != filepath.Join(deployDir(t), "Dockerfile") {
		t.Errorf("compose builds %s with context %s, want deploy/Dockerfile from the repository root", s.Build.Dockerfile, ctx)
	}
	final := parseDockerfile(t, "Dockerfile")
	users := final[len(final)-1].find("USER")
	if len(users) == 0 || users[len(users)-1].Args != s.User {
		t.Errorf("compose user %q differs from the image's USER", s.User)
	}
	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Split(string(ignore), "\n"), "deploy/secrets") {
		t.Error("Dockerfile.dockerignore does not exclude deploy/secrets")
	}
}

// TestDockerfileGoVersion keeps the build image on go.mod's Go version.
func TestDockerfileGoVersion(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if m == nil {
		t.Fatal("go.mod: no go directive")
	}
	if !strings.Contains(string(df), "ARG GO_VERSION="+string(m[1])) {
		t.Errorf("Dockerfile: ARG GO_VERSION should be go.mod's go %s", m[1])
	}
}
