package boards

import (
	"fmt"
	"os"
	"path/filepath"

	g "facmon/dashboards/grafana"
)

// File is one generated dashboard file.
type File struct {
	Name string // file name in dashboards/
	JSON []byte
}

// builders are the dashboards, in the order docs/dashboards.md lists them.
var builders = []struct {
	name  string
	build func(Limits) *g.Dashboard
}{
	{"overview.json", Overview},
	{"water.json", Water},
	{"power.json", Power},
	{"security-fire.json", Security},
	{"environment-service.json", Environment},
	{"alarm-analytics.json", AlarmAnalytics},
	{"group.json", Group},
	{"facmon.json", Facmon},
}

// Dashboards builds every dashboard with the limits l.
func Dashboards(l Limits) []*g.Dashboard {
	out := make([]*g.Dashboard, len(builders))
	for i, b := range builders {
		out[i] = b.build(l)
		nameValues(out[i])
	}
	return out
}

// Generate renders every dashboard as the JSON Grafana provisions: in
// Chinese (dashboards/*.json), and the English variant (en/*.json).
func Generate(l Limits) ([]File, error) {
	files := make([]File, 0, 2*len(builders))
	for _, lang := range []string{LangZh, LangEn} {
		for i, d := range Dashboards(l) {
			name := builders[i].name
			if lang != LangZh {
				name = lang + "/" + name
			}
			if err := Localize(d, lang); err != nil {
				return nil, err
			}
			b, err := g.Marshal(d)
			if err != nil {
				return nil, fmt.Errorf("dashboard %s: %w", name, err)
			}
			files = append(files, File{Name: name, JSON: b})
		}
	}
	return files, nil
}

// Write generates the dashboards with the limits of the rule pack in
// rulesDir, writes them into dir and their listing to docFile.
func Write(dir, rulesDir, docFile string) error {
	l, err := LimitsFromRules(rulesDir)
	if err != nil {
		return err
	}
	files, err := Generate(l)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f.Name)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.JSON, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(docFile, Markdown(Dashboards(l)), 0o644)
}
