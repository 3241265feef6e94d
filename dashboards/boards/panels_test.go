package boards

import (
	"slices"
	"strings"
	"testing"

	g "facmon/dashboards/grafana"
)

var testLimits = Limits{FireTankLow: 2.4, FireTankHigh: 3.8, DomesticTankLow: 0.9, BinFull: 66.6, RoomHot: 35, NightFlow: 0.5, AlarmFloodPer10m: 10}

// panel finds a panel by title on a dashboard.
func panel(t *testing.T, d *g.Dashboard, title string) *g.Panel {
	t.Helper()
	i := slices.IndexFunc(d.Panels, func(p *g.Panel) bool { return p.Title == title })
	if i < 0 {
		t.Fatalf("%s: no panel %q", d.Title, title)
	}
	return d.Panels[i]
}

func stepValues(p *g.Panel) []float64 {
	var out []float64
	if th := p.FieldConfig.Defaults.Thresholds; th != nil {
		for _, s := range th.Steps {
			if s.Value != nil {
				out = append(out, *s.Value)
			}
		}
	}
	return out
}

// TestThresholdLines checks the alarm bounds are drawn as dashed lines
// where issue 8 asks for them.
func TestThresholdLines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		board func(Limits) *g.Dashboard
		panel string
		want  []float64
	}{
		{"tank low/high", Water, "Tank levels", []float64{0.9, 2.4, 3.8}},
		{"tank low/high on overview", Overview, "Tank levels", []float64{0.9, 2.4, 3.8}},
		{"bins 2/3", Environment, "Bin fill levels", []float64{66.6}},
		{"room temperature", Environment, "Equipment-room temperature", []float64{35}},
		{"night flow", Water, "Flow per branch", []float64{0.5}},
		{"flood line", AlarmAnalytics, "Alarms per operator per 10 minutes", []float64{10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := panel(t, tc.board(testLimits), tc.panel)
			if got := stepValues(p); !slices.Equal(got, tc.want) {
				t.Errorf("threshold steps %v, want %v", got, tc.want)
			}
			if p.Type == "timeseries" && p.FieldConfig.Defaults.Custom["thresholdsStyle"] == nil {
				t.Error("thresholds not drawn as lines")
			}
		})
	}
}

// TestStateTimelines checks the states issue 8 wants over time are state
// timelines on the right measurements and signals.
func TestStateTimelines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		board func(Limits) *g.Dashboard
		panel string
		want  []string
	}{
		{"pumps", Water, "Pump run states", []string{`last("running") FROM "pump"`}},
		{"mains/generator/switch", Power, "Mains / generator / transfer switch",
			[]string{`last("present") FROM "mains"`, `last("running") FROM "generator"`, `last("position") FROM "transfer_switch"`}},
		{"arming", Security, "Arming state", []string{`last("armed") FROM "home_alarm"`}},
		{"UPS", Power, "UPS state", []string{`last("on_battery") FROM "ups"`}},
		{"offline periods", Security, "Device offline periods", []string{`FROM "device_status"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := panel(t, tc.board(testLimits), tc.panel)
			if p.Type != "state-timeline" {
				t.Errorf("type %s, want state-timeline", p.Type)
			}
			var qs []string
			for _, tg := range p.Targets {
				qs = append(qs, tg.Query)
			}
			all := strings.Join(qs, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) || !strings.Contains(all, "fill(previous)") {
					t.Errorf("queries do not hold %s with fill(previous):\n%s", w, all)
				}
			}
		})
	}
}

// TestRunOnResolution checks the power timeline's step is fine enough to
// show the generator's 3-minute run-on (篇3·十五·7) over a whole day: at
// most 5000 points and a 10 s minimum interval give 15–20 s steps.
func TestRunOnResolution(t *testing.T) {
	p := panel(t, Power(testLimits), "Mains / generator / transfer switch")
	if p.Interval != "10s" || p.MaxDataPoints < 4000 {
		t.Errorf("interval %q, max data points %d: the 3-minute run-on needs ≤ 20 s steps over a day", p.Interval, p.MaxDataPoints)
	}
}

// TestPVExportPrice checks PV export value is energy times the export
// price variable, 0.43 yuan/kWh by default.
func TestPVExportPrice(t *testing.T) {
	d := Power(testLimits)
	i := slices.IndexFunc(d.Templating.List, func(v *g.Variable) bool { return v.Name == VarPrice })
	if i < 0 || d.Templating.List[i].Query != "0.43" {
		t.Fatalf("no export price variable with default 0.43")
	}
	p := panel(t, d, "PV export value")
	if q := p.Targets[0].Query; !strings.Contains(q, `spread("energy") * ${export_price:raw}`) {
		t.Errorf("export value query %s", q)
	}
	if p.FieldConfig.Defaults.Unit != "currencyCNY" {
		t.Errorf("unit %s, want currencyCNY", p.FieldConfig.Defaults.Unit)
	}
}
