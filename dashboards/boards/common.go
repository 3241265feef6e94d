// Package boards defines facmon's Grafana dashboards in Go: one function
// per dashboard, InfluxQL over the schema of docs/storage.md and
// docs/alarm-api.md, PromQL over facmon's own metrics. Generate writes
// them as the JSON files Grafana provisions from dashboards/ (`go
// generate ./dashboards/`); a test keeps the committed files and this
// source in step.
package boards

import (
	"fmt"
	"strings"

	g "facmon/dashboards/grafana"
)

// Template variable names shared by the InfluxDB dashboards.
const (
	VarSite   = "site"
	VarArea   = "area"
	VarDevice = "device"
	// VarTZ is the time zone that day boundaries (kWh and m³ per day)
	// follow, as InfluxQL tz() takes it.
	VarTZ = "tz"
)

// allAny is the tag variables' All: any value (the filters anchor it,
// /^.*$/).
const allAny = ".*"

// siteFilter matches the selected sites.
const siteFilter = `"site" =~ /^$site$/`

// deviceFilter matches the selected sites, areas and devices.
const deviceFilter = `"site" =~ /^$site$/ AND "area" =~ /^$area$/ AND "device" =~ /^$device$/`

// dsVar is the datasource picker for a type (influxdb, prometheus).
func dsVar(name, label, typ string) *g.Variable {
	return &g.Variable{Name: name, Label: label, Type: "datasource", Query: typ, Refresh: 1,
		Current: &g.Current{Text: "", Value: ""}, Options: []g.VariableValue{}}
}

// tagVar is a multi-value variable over the values of a tag, with "All".
// All stands for the regex .* (allAny), not Grafana's (a|b|c) of every
// value: at a group centre's InfluxDB that list is every site's, area's
// and device's id, a regex growing with the group; .* stays the same.
func tagVar(name, label, query string) *g.Variable {
	return &g.Variable{Name: name, Label: label, Type: "query", Datasource: g.Influx, Query: query, Definition: query,
		Refresh: 1, IncludeAll: true, AllValue: allAny, Multi: true, Sort: 1,
		Current: &g.Current{Selected: true, Text: []string{"All"}, Value: []string{"$__all"}}, Options: []g.VariableValue{}}
}

// textVar is a text box with a default value.
func textVar(name, label, description, def string) *g.Variable {
	return &g.Variable{Name: name, Label: label, Description: description, Type: "textbox", Query: def,
		Current: &g.Current{Text: def, Value: def},
		Options: []g.VariableValue{{Selected: true, Text: def, Value: def}}}
}

// from is the FROM list of measurements.
func from(kinds []string) string {
	q := make([]string, len(kinds))
	for i, k := range kinds {
		q[i] = `"` + k + `"`
	}
	return strings.Join(q, ",")
}

// influxVars are the datasource, site, area and device variables of a
// dashboard about the given kinds (measurements).
func influxVars(kinds []string) []*g.Variable {
	return []*g.Variable{
		dsVar(g.InfluxVar, "InfluxDB", "influxdb"),
		tagVar(VarSite, "Site", `SHOW TAG VALUES WITH KEY = "site"`),
		tagVar(VarArea, "Area", fmt.Sprintf(`SHOW TAG VALUES FROM %s WITH KEY = "area" WHERE %s`, from(kinds), siteFilter)),
		tagVar(VarDevice, "Device", fmt.Sprintf(`SHOW TAG VALUES FROM %s WITH KEY = "device" WHERE "site" =~ /^$site$/ AND "area" =~ /^$area$/`, from(kinds))),
	}
}

// tzVar is the time zone of day boundaries.
func tzVar() *g.Variable {
	return textVar(VarTZ, "Time zone", "IANA time zone whose midnight starts a day in the per-day panels (the site file's timezone).", "Asia/Shanghai")
}

// alarmAnnotation shows every alarm transition of the selected sites on
// every time-series panel (raise, clear, ack; severity and rule as tags).
func alarmAnnotation() *g.Annotation {
	return &g.Annotation{
		Name: "Alarms", Datasource: g.Influx, Enable: true, IconColor: "red",
		Target: &g.AnnotationTarget{
			RefID:    "Anno",
			Query:    `SELECT "change", "message", "severity", "rule", "device" FROM "alarm" WHERE ` + siteFilter + ` AND $timeFilter`,
			RawQuery: true, ResultFormat: "table", QueryType: "tags", FromAnnotations: true,
			TitleColumn: "change", TextColumn: "message", TagsColumn: "severity,rule,device",
		},
	}
}

// newInfluxBoard is a dashboard over InfluxDB with the standard variables
// for kinds and the alarm annotation.
func newInfluxBoard(uid, title, description string, kinds []string) *g.Dashboard {
	d := g.New(uid, title, description)
	d.Templating.List = influxVars(kinds)
	d.Annotations.List = append(d.Annotations.List, alarmAnnotation())
	return d
}

// series is a time-series query: agg(field) of a kind per device, on the
// dashboard's interval.
func series(agg, field, kind, fill string) string {
	return fmt.Sprintf(`SELECT %s("%s") FROM "%s" WHERE %s AND $timeFilter GROUP BY time($__interval), "site", "device", "name" fill(%s)`,
		agg, field, kind, deviceFilter, fill)
}

// state is a state-timeline query: the last value of a state signal per
// device and interval, held until the next one (last() also works on the
// boolean fields of Modbus bit registers).
func state(field, kind string) string { return series("last", field, kind, "previous") }

// current is the latest value of a field per device within the range.
func current(field, kind string) string {
	return fmt.Sprintf(`SELECT last("%s") FROM "%s" WHERE %s AND $timeFilter GROUP BY "site", "device", "name"`, field, kind, deviceFilter)
}

// perDay is the increase of a counter per device and local day.
func perDay(field, kind, extra string) string {
	return fmt.Sprintf(`SELECT spread("%s") FROM "%s" WHERE %s%s AND $timeFilter GROUP BY time(1d), "site", "device", "name" fill(none) tz('${tz:raw}')`,
		field, kind, deviceFilter, extra)
}

// timeseries is a line chart; thresholds, when given, are drawn as
// dashed lines.
func timeseries(title, desc, unit string, th *g.Thresholds, targets ...*g.Target) *g.Panel {
	p := g.NewPanel("timeseries", title, desc, g.Influx, targets...)
	p.FieldConfig.Defaults.Unit = unit
	p.FieldConfig.Defaults.Custom = map[string]any{"drawStyle": "line", "lineWidth": 1, "fillOpacity": 0,
		"spanNulls": false, "showPoints": "never"}
	p.FieldConfig.Defaults.Color = map[string]any{"mode": "palette-classic"}
	if th != nil {
		p.FieldConfig.Defaults.Thresholds = th
		p.FieldConfig.Defaults.Custom["thresholdsStyle"] = map[string]any{"mode": "dashed"}
	}
	p.Options = map[string]any{"legend": legend(), "tooltip": map[string]any{"mode": "multi", "sort": "none"}}
	return p
}

// legend is a list legend below the panel.
func legend() map[string]any {
	return map[string]any{"displayMode": "list", "placement": "bottom", "showLegend": true, "calcs": []string{}}
}

// bars is a time series drawn as bars (per-hour and per-day figures).
func bars(title, desc, unit string, th *g.Thresholds, targets ...*g.Target) *g.Panel {
	p := timeseries(title, desc, unit, th, targets...)
	p.FieldConfig.Defaults.Custom["drawStyle"] = "bars"
	p.FieldConfig.Defaults.Custom["fillOpacity"] = 80
	return p
}

// timeline is a state timeline; mappings name the states.
func timeline(title, desc string, mappings []g.Mapping, targets ...*g.Target) *g.Panel {
	p := g.NewPanel("state-timeline", title, desc, g.Influx, targets...)
	p.FieldConfig.Defaults.Mappings = mappings
	p.FieldConfig.Defaults.Color = map[string]any{"mode": "thresholds"}
	p.FieldConfig.Defaults.Thresholds = g.StepsFrom("green")
	p.FieldConfig.Defaults.Custom = map[string]any{"fillOpacity": 80, "lineWidth": 0}
	p.Options = map[string]any{"mergeValues": true, "showValue": "never", "rowHeight": 0.8, "alignValue": "left",
		"legend": legend(), "tooltip": map[string]any{"mode": "single", "sort": "none"}}
	// Fine steps so short states (the generator's 3-minute run-on) stay
	// visible over a day.
	p.Interval, p.MaxDataPoints = "10s", 5000
	return p
}

// onOff maps a 0/1 (or false/true) state to two names and colours.
func onOff(off, on, offColor, onColor string) []g.Mapping {
	return []g.Mapping{g.ValueMap(
		[3]string{"0", off, offColor}, [3]string{"1", on, onColor},
		[3]string{"false", off, offColor}, [3]string{"true", on, onColor})}
}

// stat is a single-value panel.
func stat(title, desc, unit string, th *g.Thresholds, targets ...*g.Target) *g.Panel {
	p := g.NewPanel("stat", title, desc, g.Influx, targets...)
	p.FieldConfig.Defaults.Unit = unit
	p.FieldConfig.Defaults.Color = map[string]any{"mode": "thresholds"}
	if th == nil {
		th = g.StepsFrom("green")
	}
	p.FieldConfig.Defaults.Thresholds = th
	p.Options = map[string]any{"colorMode": "background", "graphMode": "none", "textMode": "value_and_name",
		"justifyMode": "auto", "orientation": "auto", "wideLayout": true, "showPercentChange": false, "percentChangeColorMode": "standard",
		"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false}}
	return p
}

// table is a table panel over InfluxQL table queries.
func table(title, desc string, targets ...*g.Target) *g.Panel {
	p := g.NewPanel("table", title, desc, g.Influx, targets...)
	p.Options = map[string]any{"showHeader": true, "cellHeight": "sm", "frameIndex": 0}
	return p
}

// bargauge shows the latest value per series as horizontal bars.
func bargauge(title, desc, unit string, th *g.Thresholds, targets ...*g.Target) *g.Panel {
	p := g.NewPanel("bargauge", title, desc, g.Influx, targets...)
	p.FieldConfig.Defaults.Unit = unit
	p.FieldConfig.Defaults.Color = map[string]any{"mode": "thresholds"}
	if th == nil {
		th = g.StepsFrom("green")
	}
	p.FieldConfig.Defaults.Thresholds = th
	p.Options = map[string]any{"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": true,
		"valueMode": "color", "namePlacement": "auto", "sizing": "auto", "minVizWidth": 8, "minVizHeight": 16, "maxVizHeight": 300,
		"legend": legend(), "reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false}}
	return p
}

// filterActive keeps table rows whose state column is an active state,
// then (with countBy) counts them per that column.
func filterActive(column, pattern string) g.Transformation {
	return g.Transformation{ID: "filterByValue", Options: map[string]any{
		"type": "include", "match": "any",
		"filters": []map[string]any{{"fieldName": column, "config": map[string]any{"id": "regex", "options": map[string]any{"value": pattern}}}},
	}}
}

// merge joins the tables of every series (one per tag set) into one, so
// that filters and counts see every row.
func merge() g.Transformation { return g.Transformation{ID: "merge", Options: map[string]any{}} }

// countBy groups table rows by a column and counts another.
func countBy(by, counted string) g.Transformation {
	return g.Transformation{ID: "groupBy", Options: map[string]any{"fields": map[string]any{
		by:      map[string]any{"aggregations": []string{}, "operation": "groupby"},
		counted: map[string]any{"aggregations": []string{"count"}, "operation": "aggregate"},
	}}}
}

// mapRef gives the fields of one query (by refId) their own value
// mappings: the same number means different states in different signals.
func mapRef(p *g.Panel, refID string, m []g.Mapping) {
	p.FieldConfig.Overrides = append(p.FieldConfig.Overrides, g.Override{
		Matcher:    g.Matcher{ID: "byFrameRefID", Options: refID},
		Properties: []g.Property{{ID: "mappings", Value: m}},
	})
}

// fmtFilter puts a WHERE filter into a query with one %s.
func fmtFilter(q, filter string) string { return fmt.Sprintf(q, filter) }
