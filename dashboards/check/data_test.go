package check

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"facmon/deploy/testbed"
)

// TestEveryPanelHasData fills a real InfluxDB 1.8.10 with a simulated day
// of a group of two communities — each site's points, device status,
// alarms and KPIs as a site writes them, site_status as the group centre
// writes it — and runs every InfluxQL query of every dashboard file —
// variables, panels, annotations — with the variables resolved and
// substituted as Grafana would; each must succeed and return rows. It
// runs three times: with every variable on All (the tag variables'
// allValue .*), with every value picked (Grafana's (a|b|c) form, here
// over both sites) and with one site (the plain escaped form). Over
// both sites, a query that groups by device must group by site too (the
// sites share device ids: without it their devices would merge into one
// series), and one that groups by site must answer for every site.
func TestEveryPanelHasData(t *testing.T) {
	if testing.Short() {
		t.Skip("needs InfluxDB and a simulated day")
	}
	dashes, err := LoadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	in := testbed.StartInflux(t)
	r := fillDay(t, in)
	ran := 0
	for _, d := range dashes {
		t.Run(d.File, func(t *testing.T) {
			for _, mode := range []string{"all", "multi", "single"} {
				vars := resolveVariables(t, in, d, r, mode)
				for _, q := range d.Queries {
					if q.Kind == PanelProm || q.Kind == VariableProm {
						continue
					}
					runQuery(t, in, q, vars, r, mode)
					ran++
				}
			}
		})
	}
	t.Logf("%d InfluxQL queries answered with rows", ran)
	t.Run("legends show device names, both languages", func(t *testing.T) {
		en, err := LoadDir("../en")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range en {
			d.File = "en/" + d.File
			for i := range d.Queries {
				d.Queries[i].File = d.File
			}
		}
		checkLegendsShowNames(t, in, append(slices.Clone(dashes), en...), r)
	})
	t.Run("run-on visible", func(t *testing.T) {
		i := slices.IndexFunc(dashes, func(d *Dashboard) bool { return d.File == "power.json" })
		if i < 0 {
			t.Fatal("no power.json")
		}
		checkRunOnVisible(t, in, dashes[i], r)
	})
}

// runQuery runs one query and fails if it errors or returns no rows.
func runQuery(t *testing.T, in *testbed.Influx, q Query, vars map[string][]string, r Range, mode string) {
	t.Helper()
	r.MaxDataPoints = q.MaxDataPoints
	text := Interpolate(q.Text, vars, r, minInterval(q.Interval))
	if varRef.MatchString(text) {
		t.Errorf("%s %s (%s): variable left unsubstituted: %s", q.File, q.Where, mode, text)
		return
	}
	rows, sites, err := queryRows(in, text)
	switch {
	case err != nil:
		t.Errorf("%s %s (%s): %v", q.File, q.Where, mode, err)
	case rows == 0:
		t.Errorf("%s %s (%s): no rows: %s", q.File, q.Where, mode, text)
	case mode == "single" || q.Kind != PanelInflux:
	case groupsByDevice.MatchString(q.Text) && !groupsBySite.MatchString(q.Text):
		t.Errorf("%s %s: groups by device, not by site: on All the sites' devices of one id merge: %s", q.File, q.Where, q.Text)
	case outerGroupsBySite(q.Text) && len(sites) < len(group):
		t.Errorf("%s %s (%s): answered for sites %v, want all %d: %s", q.File, q.Where, mode, sites, len(group), text)
	}
}

// groupsBySite matches a GROUP BY with the site tag.
var groupsBySite = regexp.MustCompile(`GROUP BY (time\([^)]*\), )?("[a-z_]+", )*"site"`)

// outerGroupsBySite reports whether the query's outermost GROUP BY (the
// last one, not inside a subquery's parentheses) has the site tag.
func outerGroupsBySite(q string) bool {
	i := strings.LastIndex(q, "GROUP BY")
	if i < 0 {
		return false
	}
	depth := 0
	for _, c := range q[i:] {
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth < 0 {
				return false // the subquery's
			}
		}
	}
	return groupsBySite.MatchString(q[i:])
}

// queryRows counts the rows of every series a query returned that hold
// a value (a row of nulls, as fill(previous) gives before the first
// point, is not data), and lists the sites (tag site) of those series.
func queryRows(in *testbed.Influx, q string) (int, []string, error) {
	res, err := in.Query(q)
	if err != nil {
		return 0, nil, err
	}
	n := 0
	var sites []string
	for _, r := range res.Results {
		for _, s := range r.Series {
			for _, row := range s.Values {
				if slices.ContainsFunc(row[1:], func(v any) bool { return v != nil }) {
					n++
					if site, ok := s.Tags["site"]; ok && !slices.Contains(sites, site) {
						sites = append(sites, site)
					}
				}
			}
		}
	}
	slices.Sort(sites)
	return n, sites, nil
}

// resolveVariables gives each variable the values Grafana would: query
// variables in order (each may use the ones before), filtered by their
// regex, without repeats (SHOW TAG VALUES answers per measurement); text
// boxes their default. Modes: "all", every variable on All (its
// allValue, or every value); "multi", every value picked one by one
// (Grafana's (a|b|c)); "single", the site variable on its first value
// (the plain form), the others on All.
func resolveVariables(t *testing.T, in *testbed.Influx, d *Dashboard, r Range, mode string) map[string][]string {
	t.Helper()
	vars := map[string][]string{}
	for _, v := range d.Variables {
		switch {
		case v.Type == "textbox" || v.Type == "constant" || v.Type == "custom":
			vars[v.Name] = []string{v.Query}
		case v.Type == "query" && v.Datasource == "influxdb":
			vals := tagValues(t, in, d, v, vars, r)
			switch {
			case mode == "single" && v.Name == "site":
				vals = vals[:1]
			case mode != "multi" && v.IncludeAll && v.AllValue != "":
				vals = All(v.AllValue)
			}
			vars[v.Name] = vals
		}
	}
	return vars
}

func tagValues(t *testing.T, in *testbed.Influx, d *Dashboard, v Variable, vars map[string][]string, r Range) []string {
	t.Helper()
	q := Interpolate(v.Query, vars, r, 0)
	res, err := in.Query(q)
	if err != nil {
		t.Fatalf("%s variable %s: %v", d.File, v.Name, err)
	}
	re, err := variableRegex(v.Regex)
	if err != nil {
		t.Fatalf("%s variable %s: regex %q: %v", d.File, v.Name, v.Regex, err)
	}
	var vals []string
	for _, rr := range res.Results {
		for _, s := range rr.Series {
			for _, row := range s.Values {
				if val := fmt.Sprint(row[len(row)-1]); re == nil || re.MatchString(val) {
					vals = append(vals, val)
				}
			}
		}
	}
	slices.Sort(vals)
	vals = slices.Compact(vals)
	if len(vals) == 0 {
		t.Fatalf("%s variable %s: no values: %s", d.File, v.Name, q)
	}
	return vals
}

// variableRegex compiles a Grafana variable regex (/re/flags).
func variableRegex(s string) (*regexp.Regexp, error) {
	if s == "" {
		return nil, nil
	}
	body, flags, ok := strings.Cut(strings.TrimPrefix(s, "/"), "/")
	if !ok {
		return regexp.Compile(s)
	}
	if strings.Contains(flags, "i") {
		body = "(?i)" + body
	}
	return regexp.Compile(body)
}

func minInterval(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

// TestOuterGroupsBySite: the outermost GROUP BY decides whether a query
// answers per site; a subquery's does not.
func TestOuterGroupsBySite(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT last("x") FROM "m" WHERE $timeFilter GROUP BY "site", "name"`:                                                                       true,
		`SELECT sum("n") FROM (SELECT last("x") AS "n" FROM "m" WHERE $timeFilter GROUP BY "site")`:                                                 false,
		`SELECT min("h") FROM (SELECT mean("f") AS "h" FROM "w" GROUP BY time(1h), "site" tz('UTC')) GROUP BY time(1d), "site", "device" tz('UTC')`: true,
		`SELECT count("change") FROM "alarm" WHERE $timeFilter GROUP BY "severity"`:                                                                 false,
	} {
		if got := outerGroupsBySite(q); got != want {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
}

// TestInterpolateAll: a variable at All with an allValue puts the
// allValue in as written; picked values are escaped, several as (a|b).
func TestInterpolateAll(t *testing.T) {
	q := `SELECT 1 FROM "m" WHERE "site" =~ /^$site$/ AND "x" = '${site:raw}'`
	for _, tc := range []struct {
		vals []string
		want string
	}{
		{All(".*"), `SELECT 1 FROM "m" WHERE "site" =~ /^.*$/ AND "x" = '.*'`},
		{[]string{"a.b", "c/d"}, `SELECT 1 FROM "m" WHERE "site" =~ /^(a\.b|c\/d)$/ AND "x" = 'a.b,c/d'`},
	} {
		if got := Interpolate(q, map[string][]string{"site": tc.vals}, Range{}, 0); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.vals, got, tc.want)
		}
	}
}
