package grafana

// New returns an empty dashboard with facmon's defaults: the last 24 hours,
// refreshed every 30 s, read-only (provisioned files are the source).
func New(uid, title, description string) *Dashboard {
	return &Dashboard{
		UID: uid, Title: title, Description: description,
		Tags: []string{"facmon"}, Timezone: "browser", GraphTooltip: 1,
		Refresh: "30s", SchemaVersion: SchemaVersion, Version: 1,
		Time:        TimeRange{From: "now-24h", To: "now"},
		Templating:  Templating{List: []*Variable{}},
		Annotations: Annotations{List: []*Annotation{builtInAnnotation()}},
	}
}

// builtInAnnotation is Grafana's own "Annotations & Alerts" entry, which
// every dashboard carries.
func builtInAnnotation() *Annotation {
	return &Annotation{Name: "Annotations & Alerts", BuiltIn: 1, Type: "dashboard", Enable: true, Hide: true,
		IconColor: "rgba(0, 211, 255, 1)", Datasource: &DSRef{Type: "grafana", UID: "-- Grafana --"}}
}

// Layout places panels on the 24-column grid left to right, wrapping to
// a new row when a panel does not fit, and numbers them.
type Layout struct {
	d        *Dashboard
	x, y, rh int
}

// NewLayout lays panels out on d.
func NewLayout(d *Dashboard) *Layout { return &Layout{d: d} }

// Add places p with width w and height h and appends it to the dashboard.
func (l *Layout) Add(w, h int, p *Panel) *Panel {
	if l.x+w > 24 {
		l.Break()
	}
	p.GridPos = GridPos{H: h, W: w, X: l.x, Y: l.y}
	p.ID = len(l.d.Panels) + 1
	l.d.Panels = append(l.d.Panels, p)
	l.x += w
	l.rh = max(l.rh, h)
	return p
}

// Row starts a new row with a row header titled title.
func (l *Layout) Row(title string) {
	l.Break()
	f := false
	l.Add(24, 1, &Panel{Type: "row", Title: title, Collapsed: &f, Panels: &[]*Panel{}})
	l.Break()
}

// Break ends the current row.
func (l *Layout) Break() {
	if l.x == 0 {
		return
	}
	l.x, l.y, l.rh = 0, l.y+l.rh, 0
}

// InfluxTarget is a raw InfluxQL query as a time series, named by alias
// ($tag_device, $col) when alias is not empty.
func InfluxTarget(query, alias string) *Target {
	return &Target{Datasource: Influx, Query: query, RawQuery: true, ResultFormat: "time_series", Alias: alias}
}

// InfluxTable is a raw InfluxQL query whose result Grafana shows as a table.
func InfluxTable(query string) *Target {
	return &Target{Datasource: Influx, Query: query, RawQuery: true, ResultFormat: "table"}
}

// PromTarget is a PromQL range query with a legend.
func PromTarget(expr, legend string) *Target {
	return &Target{Datasource: Prometheus, Expr: expr, LegendFormat: legend, Range: true}
}

// NewPanel returns a panel of type typ on ds with targets, lettered A, B, …
func NewPanel(typ, title, description string, ds *DSRef, targets ...*Target) *Panel {
	for i, t := range targets {
		t.RefID = string(rune('A' + i))
	}
	return &Panel{Type: typ, Title: title, Description: description, Datasource: ds, Targets: targets,
		FieldConfig: &FieldConfig{Overrides: []Override{}}, Options: map[string]any{}}
}

// Float returns a pointer to v, for threshold steps and min/max.
func Float(v float64) *float64 { return &v }

// Int returns a pointer to v.
func Int(v int) *int { return &v }

// StepsFrom builds absolute thresholds: base colour, then each value and
// the colour from it upwards.
func StepsFrom(base string, steps ...Step) *Thresholds {
	return &Thresholds{Mode: "absolute", Steps: append([]Step{{Color: base}}, steps...)}
}

// At is a threshold step at v.
func At(v float64, color string) Step { return Step{Color: color, Value: Float(v)} }

// ValueMap maps exact values (as Grafana compares them, text) to text and
// colour, in the order given.
func ValueMap(pairs ...[3]string) Mapping {
	m := Mapping{Type: "value", Options: map[string]MappingValue{}}
	for i, p := range pairs {
		m.Options[p[0]] = MappingValue{Text: p[1], Color: p[2], Index: i}
	}
	return m
}
