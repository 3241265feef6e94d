package check

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"facmon/internal/site"
)

// dsVars are the datasource variables and the datasource type each picks.
var dsVars = map[string]string{"${DS_INFLUX}": "influxdb", "${DS_PROMETHEUS}": "prometheus"}

// loadAll loads the Chinese dashboards (dashboards/*.json) and their
// English variant (dashboards/en/*.json, files named "en/…").
func loadAll(t *testing.T) []*Dashboard {
	t.Helper()
	zh, en := loadLang(t, ".."), loadLang(t, "../en")
	for _, d := range en {
		d.File = "en/" + d.File
		for i := range d.Queries {
			d.Queries[i].File = d.File
		}
	}
	return append(zh, en...)
}

// loadLang loads the seven dashboards of one language's folder.
func loadLang(t *testing.T, dir string) []*Dashboard {
	t.Helper()
	dashes, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(dashes) != 8 {
		t.Fatalf("%d dashboards in %s, want 8", len(dashes), dir)
	}
	return dashes
}

// TestDatasourcesAreVariables walks every "datasource" in every file: each
// names a datasource variable of the dashboard (never a uid) of the
// variable's type, or Grafana's built-in annotations.
func TestDatasourcesAreVariables(t *testing.T) {
	for _, d := range loadAll(t) {
		t.Run(d.File, func(t *testing.T) {
			defined := map[string]string{}
			for _, v := range d.Variables {
				if v.Type == "datasource" {
					defined["${"+v.Name+"}"] = ""
				}
			}
			walk(d.Raw, "", func(path string, key string, v any) {
				if key != "datasource" {
					return
				}
				m, ok := v.(map[string]any)
				if !ok {
					t.Errorf("%s: datasource is %v, want {type, uid}", path, v)
					return
				}
				uid, typ := fmt.Sprint(m["uid"]), fmt.Sprint(m["type"])
				if uid == "-- Grafana --" && typ == "grafana" {
					return
				}
				if _, ok := defined[uid]; !ok || dsVars[uid] != typ {
					t.Errorf("%s: datasource {type %s, uid %s}: not a datasource variable of this dashboard of that type", path, typ, uid)
				}
			})
		})
	}
}

// walk calls f for every key of every object below v.
func walk(v any, path string, f func(path, key string, v any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			f(path, k, c)
			walk(c, path+"."+k, f)
		}
	case []any:
		for i, c := range x {
			walk(c, fmt.Sprintf("%s[%d]", path, i), f)
		}
	}
}

var (
	groupByTime = regexp.MustCompile(`GROUP BY time\(([^)]*)\)`)
	fillClause  = regexp.MustCompile(`fill\((none|previous|0)\)`)
)

// TestInfluxQLRules checks every InfluxQL query: raw, restricted in time
// ($timeFilter, or a fixed look-back for current state), bucketed by
// $__interval or a fixed step, with a fill, and every variable defined.
func TestInfluxQLRules(t *testing.T) {
	for _, d := range loadAll(t) {
		t.Run(d.File, func(t *testing.T) {
			vars := map[string]bool{}
			for _, v := range d.Variables {
				vars[v.Name] = true
			}
			for _, q := range d.Queries {
				if q.Kind == PanelProm || q.Kind == VariableProm {
					continue
				}
				for _, msg := range influxProblems(q, vars) {
					t.Errorf("%s: %s: %s", q.Where, msg, q.Text)
				}
			}
		})
	}
}

func influxProblems(q Query, vars map[string]bool) []string {
	var out []string
	if q.Kind == PanelInflux && !q.RawQuery {
		out = append(out, "not rawQuery")
	}
	if q.Kind != VariableInflux && !strings.Contains(q.Text, "$timeFilter") && !strings.Contains(q.Text, "time > now() - ") {
		out = append(out, "no $timeFilter")
	}
	for _, m := range groupByTime.FindAllStringSubmatch(q.Text, -1) {
		if !slices.Contains([]string{"$__interval", "1m", "10m", "1h", "1d"}, m[1]) {
			out = append(out, "GROUP BY time("+m[1]+")")
		}
	}
	if groupByTime.MatchString(q.Text) && !fillClause.MatchString(q.Text) && !strings.Contains(q.Text, "GROUP BY time(1h), \"device\" tz(") {
		out = append(out, "GROUP BY time without fill(none|previous|0)")
	}
	for _, n := range VarNames(q.Text) {
		if !vars[n] {
			out = append(out, "variable $"+n+" not defined")
		}
	}
	return out
}

// TestTemplateVariables checks every InfluxDB dashboard offers site, area
// and device (the group overview: site), chosen by tag-value queries,
// multi-valued with All.
func TestTemplateVariables(t *testing.T) {
	for _, d := range loadAll(t) {
		t.Run(d.File, func(t *testing.T) {
			want := []string{"site", "area", "device"}
			switch strings.TrimPrefix(d.File, "en/") {
			case "facmon.json":
				want = []string{"instance", "site"}
			case "group.json": // a row a site: no area or device to pick
				want = []string{"site"}
			}
			for _, name := range want {
				i := slices.IndexFunc(d.Variables, func(v Variable) bool { return v.Name == name })
				if i < 0 {
					t.Errorf("no variable %s", name)
					continue
				}
				v := d.Variables[i]
				if v.Type != "query" || !v.Multi || !v.IncludeAll {
					t.Errorf("variable %s: type %s multi %v all %v, want a multi-value query with All", name, v.Type, v.Multi, v.IncludeAll)
				}
				if v.Datasource == "influxdb" && !strings.HasPrefix(v.Query, "SHOW TAG VALUES") {
					t.Errorf("variable %s: %s, want SHOW TAG VALUES", name, v.Query)
				}
			}
		})
	}
}

// TestAlarmAnnotation checks every dashboard with time-series panels
// annotates them with the alarm transitions.
func TestAlarmAnnotation(t *testing.T) {
	for _, d := range loadAll(t) {
		t.Run(d.File, func(t *testing.T) {
			i := slices.IndexFunc(d.Queries, func(q Query) bool {
				return q.Kind == AnnotationInflux && strings.Contains(q.Text, `FROM "alarm"`)
			})
			if i < 0 {
				t.Fatal("no annotation over the alarm measurement")
			}
			list := d.Raw["annotations"].(map[string]any)["list"].([]any)
			for _, a := range list {
				m := a.(map[string]any)
				if m["name"] == "Alarms" && m["enable"] != true {
					t.Error("alarm annotation not enabled")
				}
			}
		})
	}
}

// TestNoSiteNamesBaked checks that no id or name of the demo site (site,
// areas, devices) appears anywhere in the dashboards: they must work for
// any site through the variables.
func TestNoSiteNamesBaked(t *testing.T) {
	s, err := site.Load(demoSite)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{s.ID, s.Name}
	for _, a := range s.Areas {
		names = append(names, a.ID, a.Name)
	}
	for _, dev := range s.Devices {
		names = append(names, dev.ID, dev.Name)
	}
	token := regexp.MustCompile(`[\p{L}\p{N}_-]+`)
	for _, d := range loadAll(t) {
		b, err := os.ReadFile("../" + d.File)
		if err != nil {
			t.Fatal(err)
		}
		tokens := map[string]bool{}
		for _, tok := range token.FindAllString(string(b), -1) {
			tokens[tok] = true
		}
		for _, n := range names {
			if tokens[n] {
				t.Errorf("%s: names %q of the demo site", d.File, n)
			}
		}
	}
}

// TestInfluxProblemsCatches shows the rules above fail what they should.
func TestInfluxProblemsCatches(t *testing.T) {
	vars := map[string]bool{"site": true}
	for _, tc := range []struct {
		name, query string
		raw         bool
		want        string
	}{
		{"not raw", `SELECT last("x") FROM "m" WHERE $timeFilter`, false, "not rawQuery"},
		{"no time filter", `SELECT last("x") FROM "m"`, true, "no $timeFilter"},
		{"odd step", `SELECT last("x") FROM "m" WHERE $timeFilter GROUP BY time(7s) fill(none)`, true, "GROUP BY time(7s)"},
		{"no fill", `SELECT last("x") FROM "m" WHERE $timeFilter GROUP BY time($__interval)`, true, "without fill"},
		{"unknown variable", `SELECT last("x") FROM "m" WHERE "a" =~ /^$nope$/ AND $timeFilter`, true, "$nope not defined"},
		{"good", `SELECT last("x") FROM "m" WHERE "site" =~ /^$site$/ AND $timeFilter GROUP BY time($__interval) fill(previous)`, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(influxProblems(Query{Kind: PanelInflux, Text: tc.query, RawQuery: tc.raw}, vars), "; ")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("problems = %q, want %q", got, tc.want)
			}
		})
	}
}
