package boards

import (
	"slices"
	"strings"

	g "facmon/dashboards/grafana"
)

// The values InfluxDB stores are ids and codes (critical, raise,
// active-unacknowledged, perimeter_zone); tables and legends name them in
// words, which Localize then translates.

// valueWords name the codes a table cell or a per-tag legend shows.
var valueWords = [][2]string{
	{"critical", "Critical"}, {"major", "Major"}, {"minor", "Minor"}, {"warning", "Warning"},
	{"raise", "Raised"}, {"clear", "Cleared"}, {"ack", "Acknowledged"},
	{"active-unacknowledged", "Active, unacknowledged"}, {"active-acknowledged", "Active, acknowledged"},
	{"cleared-unacknowledged", "Cleared, unacknowledged"}, {"latched", "Latched"}, {"normal", "Normal"},
	{"online", "Online"}, {"offline", "Offline"}, {"fault", "Fault"},
	{"perimeter_zone", "Perimeter zone"}, {"home_alarm", "In-home alarm"}, {"door", "Door"}, {"fire_panel", "Fire-alarm panel"},
}

// columnWords name the columns of the tables.
var columnWords = map[string]string{
	"Time": "Time", "time": "Time", "severity": "Severity", "device": "Device id", "name": "Device",
	"area": "Area id", "area_name": "Area", "rule": "Rule", "message": "Message", "state": "State",
	"change": "Change", "status": "Status", "kind": "Kind", "alarms": "Alarms", "id": "Alarm id", "by": "By",
	"site": "Site",
}

// nameValues gives every table its column names and value words, and
// every per-severity or per-kind legend its words.
func nameValues(d *g.Dashboard) {
	for _, p := range allPanels(d.Panels) {
		if p.Type == "table" && readsSiteStatus(p) {
			continue // the group's tables name their columns themselves (sitesTable)
		}
		if p.Type == "table" {
			p.FieldConfig.Defaults.Mappings = append(p.FieldConfig.Defaults.Mappings, valueMap())
			p.Transformations = append(p.Transformations, g.Transformation{ID: "organize",
				Options: map[string]any{"renameByName": columnsOf(p)}})
			continue
		}
		if slices.ContainsFunc(p.Targets, func(t *g.Target) bool {
			return t.Alias == "$tag_severity" || t.Alias == "$tag_kind"
		}) {
			for _, w := range valueWords {
				p.FieldConfig.Overrides = append(p.FieldConfig.Overrides, g.Override{
					Matcher: g.Matcher{ID: "byName", Options: w[0]}, Properties: []g.Property{{ID: "displayName", Value: w[1]}}})
			}
		}
	}
}

// readsSiteStatus reports whether a panel reads the centre's site_status.
func readsSiteStatus(p *g.Panel) bool {
	return slices.ContainsFunc(p.Targets, func(t *g.Target) bool { return strings.Contains(t.Query, `"site_status"`) })
}

// valueMap maps the codes to their words.
func valueMap() g.Mapping {
	pairs := make([][3]string, len(valueWords))
	for i, w := range valueWords {
		pairs[i] = [3]string{w[0], w[1], ""}
	}
	return g.ValueMap(pairs...)
}

// columnsOf names the columns a table's queries select or group by.
func columnsOf(p *g.Panel) map[string]any {
	out := map[string]any{}
	for col, word := range columnWords {
		for _, t := range p.Targets {
			if strings.Contains(t.Query, `"`+col+`"`) || col == "Time" {
				out[col] = word
			}
		}
	}
	return out
}

// allPanels lists panels and the panels inside rows.
func allPanels(ps []*g.Panel) []*g.Panel {
	var out []*g.Panel
	for _, p := range ps {
		out = append(out, p)
		if p.Panels != nil {
			out = append(out, allPanels(*p.Panels)...)
		}
	}
	return out
}
