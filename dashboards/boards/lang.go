package boards

import (
	"fmt"
	"regexp"
	"slices"

	g "facmon/dashboards/grafana"
)

// The dashboards are written in English in this package and provisioned
// in Chinese, the operators' language (dashboards/*.json); the English
// ones are a generated variant (dashboards/en/*.json, uids ending in
// "-en"). Legends show the site file's device names ($tag_name: the tag
// "name" the writer adds to every point) in both.

// Languages of the generated files.
const (
	LangZh = "zh"
	LangEn = "en"
)

// number matches the numbers of a text: a translation keeps them, in
// order, where its template writes "#".
var number = regexp.MustCompile(`\d+(\.\d+)?`)

// translate returns the Chinese of an English text, or false. The
// dictionary is keyed by the text with every number written "#", so
// bounds drawn from the rule pack stay out of it.
func translate(en string) (string, bool) {
	if !words.MatchString(variables.ReplaceAllString(en, "")) {
		return en, true // nothing but variables and numbers: "$tag_name $col"
	}
	nums := number.FindAllString(en, -1)
	zh, ok := zhText[number.ReplaceAllString(en, "#")]
	if !ok {
		return "", false
	}
	i := 0
	return regexpHash.ReplaceAllStringFunc(zh, func(string) string {
		if i >= len(nums) {
			return "#"
		}
		i++
		return nums[i-1]
	}), true
}

// variables are Grafana's $name and ${name} references; words a text's
// English letters.
var (
	variables = regexp.MustCompile(`\$(\{[^}]*\}|\w+)|\{\{[^}]*\}\}`)
	words     = regexp.MustCompile(`[A-Za-z]`)
)

// regexpHash matches a number's place in a translation.
var regexpHash = regexp.MustCompile(`#`)

// Localize turns a dashboard built in English into lang: Chinese texts
// (titles, descriptions, rows, variable labels, annotation names, legends,
// value mappings), or the English variant with its own uid. Legends show
// device names in both. It returns every text without a translation.
func Localize(d *g.Dashboard, lang string) error {
	l := &localizer{zh: lang == LangZh}
	if lang == LangEn {
		d.UID += "-en"
		d.Title += " (English)"
	}
	l.text(&d.Title)
	l.text(&d.Description)
	for _, v := range d.Templating.List {
		l.text(&v.Label)
		l.text(&v.Description)
	}
	for _, a := range d.Annotations.List {
		if a.BuiltIn == 0 { // Grafana's own annotation keeps its name
			l.text(&a.Name)
		}
	}
	for _, p := range d.Panels {
		l.panel(p)
	}
	if len(l.missing) > 0 {
		slices.Sort(l.missing)
		return fmt.Errorf("dashboard %s: no Chinese for %q (add it to zhText)", d.UID, slices.Compact(l.missing))
	}
	return nil
}

// localizer translates texts in place and notes the ones it cannot.
type localizer struct {
	zh      bool
	missing []string
}

// text translates *s when making Chinese.
func (l *localizer) text(s *string) {
	if !l.zh {
		return
	}
	zh, ok := translate(*s)
	if !ok {
		l.missing = append(l.missing, *s)
		return
	}
	*s = zh
}

// panel translates a panel, its legends and its value mappings.
func (l *localizer) panel(p *g.Panel) {
	l.text(&p.Title)
	l.text(&p.Description)
	for _, t := range p.Targets {
		l.text(&t.Alias)
		l.text(&t.LegendFormat)
	}
	if p.FieldConfig != nil {
		l.mappings(p.FieldConfig.Defaults.Mappings)
		for _, o := range p.FieldConfig.Overrides {
			for i, pr := range o.Properties {
				switch v := pr.Value.(type) {
				case []g.Mapping:
					l.mappings(v)
				case string:
					if pr.ID == "displayName" {
						l.text(&v)
						o.Properties[i].Value = v
					}
				}
			}
		}
	}
	for _, t := range p.Transformations {
		if names, ok := t.Options["renameByName"].(map[string]any); ok {
			for k, v := range names {
				if s, ok := v.(string); ok {
					l.text(&s)
					names[k] = s
				}
			}
		}
	}
	if p.Panels != nil {
		for _, c := range *p.Panels {
			l.panel(c)
		}
	}
}

// mappings translates the texts of value mappings.
func (l *localizer) mappings(ms []g.Mapping) {
	for _, m := range ms {
		for k, v := range m.Options {
			l.text(&v.Text)
			m.Options[k] = v
		}
	}
}
