package check

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"facmon/deploy/testbed"
	"facmon/internal/site"
)

// hasHan reports whether s holds a Chinese character.
func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// TestTitlesInTheirLanguage: every dashboard and panel (rows too) of
// dashboards/ has a Chinese title; the English variant in dashboards/en
// has none, and runs exactly the same queries.
func TestTitlesInTheirLanguage(t *testing.T) {
	all := loadAll(t)
	byFile := map[string]*Dashboard{}
	for _, d := range all {
		byFile[d.File] = d
	}
	for _, d := range all {
		en := strings.HasPrefix(d.File, "en/")
		t.Run(d.File, func(t *testing.T) {
			if len(d.Panels) == 0 {
				t.Fatal("no panels")
			}
			for _, title := range append([]string{d.Title}, d.Panels...) {
				if hasHan(title) == en {
					t.Errorf("title %q: Chinese %v, want %v", title, hasHan(title), !en)
				}
			}
			if !en {
				return
			}
			zh := byFile[strings.TrimPrefix(d.File, "en/")]
			if zh == nil {
				t.Fatal("no Chinese dashboard of the same name")
			}
			if !slices.EqualFunc(d.Queries, zh.Queries, func(a, b Query) bool { return a.Text == b.Text && a.Kind == b.Kind }) {
				t.Error("the English variant's queries differ from the Chinese dashboard's")
			}
			if d.UID == zh.UID {
				t.Errorf("uid %s shared by both languages", d.UID)
			}
		})
	}
}

// groupsByDevice matches a query that draws one series per device.
var groupsByDevice = regexp.MustCompile(`GROUP BY (time\([^)]*\), )?("[a-z_]+", )*"device"`)

// checkLegendsShowNames runs, against the simulated day in InfluxDB,
// every panel query of the Chinese and English dashboards that draws one
// series per device: its legend must be the tag "name", and every series
// must carry the demo site file's name of its device (not its id).
func checkLegendsShowNames(t *testing.T, in *testbed.Influx, dashes []*Dashboard, r Range) {
	s, err := site.Load(demoSite)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, d := range s.Devices {
		names[d.ID] = d.Name
	}
	legends := 0
	for _, d := range dashes {
		vars := resolveVariables(t, in, d, r, "all")
		for _, q := range d.Queries {
			if q.Kind != PanelInflux || q.Table || !groupsByDevice.MatchString(q.Text) {
				continue
			}
			if !strings.Contains(q.Legend, "$tag_name") || strings.Contains(q.Legend, "$tag_device") {
				t.Errorf("%s %s: legend %q, want the device's name ($tag_name)", q.File, q.Where, q.Legend)
				continue
			}
			rr := r
			rr.MaxDataPoints = q.MaxDataPoints
			res, err := in.Query(Interpolate(q.Text, vars, rr, minInterval(q.Interval)))
			if err != nil {
				t.Errorf("%s %s: %v", q.File, q.Where, err)
				continue
			}
			for _, result := range res.Results {
				for _, series := range result.Series {
					id, name := series.Tags["device"], series.Tags["name"]
					legend := strings.ReplaceAll(q.Legend, "$tag_name", name)
					if name == "" || name == id || name != names[id] {
						t.Errorf("%s %s: series of %q has name %q, want %q", q.File, q.Where, id, name, names[id])
					}
					if strings.Contains(legend, id) || !hasHan(legend) {
						t.Errorf("%s %s: legend %q shows the id or no name", q.File, q.Where, legend)
					}
					legends++
				}
			}
		}
	}
	if legends == 0 {
		t.Fatal("no per-device series found")
	}
	t.Logf("%d per-device legends show the site file's device name", legends)
}
