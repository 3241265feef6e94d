package yamlpos

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type inner struct {
	Pos   `yaml:"-"`
	At    map[string]Pos `yaml:"-"`
	From  string         `yaml:"from"`
	Count *int           `yaml:"count"`
}

type Common struct {
	Note string `yaml:"note"`
}

type item struct {
	Pos    `yaml:"-"`
	Common `yaml:",inline"`
	Name   string  `yaml:"name"`
	Spans  []inner `yaml:"spans"`
	Labels map[string]string
	Sub    *inner `yaml:"sub"`
}

type top struct {
	Items []item `yaml:"items"`
}

func decode(t *testing.T, src string) (*top, *Decoder, Errors) {
	t.Helper()
	errs := &List{}
	doc, ok := ReadDocument("f.yaml", "test file", []byte(src), errs)
	if !ok {
		return nil, nil, errs.Sorted()
	}
	d := NewDecoder("f.yaml", errs, doc.Content[0])
	d.Label = func(key string, n *yaml.Node, _ int) (string, bool) {
		name, ok := ScalarAt(n, "name")
		return strings.TrimSuffix(key, "s") + " " + Quote(name), ok
	}
	var v top
	d.Decode(doc.Content[0], &v)
	return &v, d, errs.Sorted()
}

func TestDecodeNamesEveryMistakeInTheFilesWords(t *testing.T) {
	src := `items:
  - name: a
    note: n
    spans:
      - {from: x, count: many}
    labels: {k: v, k: w}
    sub: 5
    nope: 1
  - spans: [{from: [1]}]
`
	v, d, errs := decode(t, src)
	want := []string{
		`f.yaml:5:26: item "a": spans[0]: count: want an integer, got "many"`,
		`f.yaml:6:20: item "a": labels: key "k" repeated (first at line 6)`,
		`f.yaml:7:10: item "a": sub: want a mapping, got "5"`,
		`f.yaml:8:5: item "a": unknown key "nope" (want one of labels, name, note, spans, sub)`,
		`f.yaml:9:20: items[1]: spans[0]: from: want a string, got a list`,
	}
	if got := strings.Split(errs.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	it := v.Items[0]
	if it.Note != "n" || it.Pos.Line != 2 || it.Sub != nil || it.Spans[0].At["from"].Col != 16 || it.Spans[0].Count == nil {
		t.Fatalf("decoded %+v", it)
	}
	if !d.Bad[FieldRef{Owner: &v.Items[0], Key: "sub"}] || d.Fields[FieldRef{Owner: &v.Items[0], Key: "name"}].Line != 2 {
		t.Fatalf("field positions: %v bad: %v", d.Fields, d.Bad)
	}
}

func TestErrorsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("items:\n")
	for i := range MaxErrors + 50 {
		fmt.Fprintf(&b, "  - {name: n%d, bad: 1}\n", i)
	}
	_, _, errs := decode(t, b.String())
	if len(errs) != MaxErrors+1 || errs[MaxErrors].Msg != "too many mistakes: 50 more not shown" {
		t.Fatalf("%d errors, last %v", len(errs), errs[len(errs)-1])
	}
}

type tree struct {
	K []tree `yaml:"k"`
}

func TestAliasBombIsRefused(t *testing.T) {
	ten := func(x string) string { return "[" + strings.TrimSuffix(strings.Repeat(x+", ", 10), ", ") + "]" }
	src := "a: &a {k: " + ten("{}") + "}\nb: &b {k: " + ten("*a") + "}\nc: &c {k: " + ten("*b") + "}\nd: &d {k: " + ten("*c") + "}\ne: {k: " + ten("*d") + "}\n"
	var v struct{ A, B, C, D, E tree }
	errs := &List{}
	doc, _ := ReadDocument("f.yaml", "test file", []byte(src), errs)
	NewDecoder("f.yaml", errs, doc.Content[0]).Decode(doc.Content[0], &v)
	if err := errs.Err(); err == nil || err.Error() != "f.yaml:1:1: aliases expand the file to more than 10710 nodes" {
		t.Fatalf("alias bomb: %v", err)
	}
}

func TestSyntaxErrorsAndSecondDocuments(t *testing.T) {
	for src, want := range map[string]string{
		"a: b: c\n":              "f.yaml:1: YAML syntax: mapping values are not allowed in this context",
		"items: []\n---\nx: 1\n": "f.yaml:2:1: a test file holds one YAML document; remove the second (---)",
	} {
		if _, _, errs := decode(t, src); errs.Error() != want {
			t.Errorf("%q: got %q, want %q", src, errs.Error(), want)
		}
	}
}

// FuzzDecode decodes arbitrary YAML into the test structs: never a panic,
// and every mistake has a place in the file.
func FuzzDecode(f *testing.F) {
	f.Add("items:\n  - name: a\n    spans: [{from: x, count: 3}]\n")
	f.Add("items: &x [*x]\n")
	f.Add("items:\n  - <<: {name: a}\n    labels: {a: 1}\n")
	f.Fuzz(func(t *testing.T, src string) {
		errs := &List{}
		doc, ok := ReadDocument("f.yaml", "test file", []byte(src), errs)
		if ok && doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
			var v top
			NewDecoder("f.yaml", errs, doc.Content[0]).Decode(doc.Content[0], &v)
		}
		for _, e := range errs.Sorted() {
			if e.Pos.File != "f.yaml" || e.Pos.Line < 1 || e.Msg == "" {
				t.Fatalf("mistake without a place: %+v", e)
			}
		}
	})
}
