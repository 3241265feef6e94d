package site

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"facmon/internal/yamlpos"
)

const docFile = "../../docs/site-file.md"

// TestEveryKeyDocumented walks the site-file types and wants each yaml key
// as a row of the reference in docs/site-file.md.
func TestEveryKeyDocumented(t *testing.T) {
	doc, err := os.ReadFile(docFile)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] || ty == reflect.TypeFor[Pos]() {
			return
		}
		seen[ty] = true
		for key, idx := range yamlpos.Fields(ty) {
			row := "| `" + key + "` |"
			if !strings.Contains(string(doc), row) {
				t.Errorf("%s%s: no reference row %q in %s", path, key, row, docFile)
			}
			walk(ty.FieldByIndex(idx).Type, path+key+".")
		}
	}
	walk(reflect.TypeFor[Site](), "")
}

// TestAnnotatedExampleLoads wants the annotated example in the docs to be
// a valid site file.
func TestAnnotatedExampleLoads(t *testing.T) {
	doc, err := os.ReadFile(docFile)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Annotated example.*?```yaml\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("no annotated example")
	}
	all := env{
		readFile: func(string) ([]byte, error) { return []byte("a-secret-of-at-least-thirty-two-bytes"), nil },
		getenv:   func(string) (string, bool) { return "", false },
	}
	if _, err := parse("site-file.md", m[1], all); err != nil {
		t.Fatalf("annotated example:\n%v", err)
	}
}
