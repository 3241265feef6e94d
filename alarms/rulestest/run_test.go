package rulestest

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	cases := []struct {
		name       string
		file       string
		wantFailed bool
		golden     string
	}{
		{"passing", "testdata/pass_test.yaml", false, "testdata/pass.out"},
		{"failing shows a diff", "testdata/fail_test.yaml", true, "testdata/fail.out"},
		{"broken rule file", "testdata/broken_test.yaml", true, "testdata/broken.out"},
		{"missing file", "testdata/nope_test.yaml", true, "testdata/nope.out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			failed, err := Run([]string{c.file}, &out)
			if err != nil || failed != c.wantFailed {
				t.Fatalf("failed=%v err=%v, want failed=%v\n%s", failed, err, c.wantFailed, out.String())
			}
			if os.Getenv("UPDATE") != "" {
				os.WriteFile(c.golden, out.Bytes(), 0o644)
			}
			want, _ := os.ReadFile(c.golden)
			if out.String() != string(want) {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
			}
		})
	}
}

func TestRunNoFiles(t *testing.T) {
	if failed, err := Run(nil, &bytes.Buffer{}); !failed || err == nil || !strings.Contains(err.Error(), "no test files") {
		t.Fatalf("failed=%v err=%v", failed, err)
	}
}

// FuzzTestFile runs arbitrary test files against testdata/tank.yaml: the
// runner must report, never panic. Seeds: testdata/fuzz/FuzzTestFile.
func FuzzTestFile(f *testing.F) {
	pass, _ := os.ReadFile("testdata/pass_test.yaml")
	f.Add(pass)
	rule, _ := os.ReadFile("testdata/tank.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		os.WriteFile(dir+"/tank.yaml", rule, 0o644)
		os.WriteFile(dir+"/x_test.yaml", data, 0o644)
		Run([]string{dir + "/x_test.yaml"}, &bytes.Buffer{})
	})
}
