// Package grafana is a small typed model of the Grafana dashboard JSON
// that facmon provisions (schema version 39): dashboards, panels, InfluxQL
// and PromQL targets, template variables and annotations. It writes only
// what facmon's dashboards use; Grafana fills in every default.
package grafana

import (
	"bytes"
	"encoding/json"
)

// SchemaVersion is the dashboard schema the JSON is written in.
const SchemaVersion = 39

// Datasource variables: panels name their datasource through these, never
// through a uid (deploy/grafana provisions the datasources).
const (
	InfluxVar     = "DS_INFLUX"
	PrometheusVar = "DS_PROMETHEUS"
)

// DSRef points a panel, target or variable at a datasource.
type DSRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Influx is the InfluxDB datasource, chosen by the DS_INFLUX variable.
var Influx = &DSRef{Type: "influxdb", UID: "${" + InfluxVar + "}"}

// Prometheus is the Prometheus datasource, chosen by DS_PROMETHEUS.
var Prometheus = &DSRef{Type: "prometheus", UID: "${" + PrometheusVar + "}"}

// Dashboard is one dashboard file.
type Dashboard struct {
	UID           string      `json:"uid"`
	Title         string      `json:"title"`
	Description   string      `json:"description,omitempty"`
	Tags          []string    `json:"tags"`
	Timezone      string      `json:"timezone"`
	Editable      bool        `json:"editable"`
	GraphTooltip  int         `json:"graphTooltip"`
	Refresh       string      `json:"refresh"`
	SchemaVersion int         `json:"schemaVersion"`
	Version       int         `json:"version"`
	Time          TimeRange   `json:"time"`
	Templating    Templating  `json:"templating"`
	Annotations   Annotations `json:"annotations"`
	Panels        []*Panel    `json:"panels"`
}

// TimeRange is the dashboard's default time range (now-24h … now).
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Templating holds the template variables.
type Templating struct {
	List []*Variable `json:"list"`
}

// Annotations holds the annotation queries.
type Annotations struct {
	List []*Annotation `json:"list"`
}

// Variable is a template variable: a datasource picker, a query over tag
// values, or a text box.
type Variable struct {
	Name        string `json:"name"`
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type"`
	Datasource  *DSRef `json:"datasource,omitempty"`
	Query       string `json:"query"`
	Definition  string `json:"definition,omitempty"`
	Regex       string `json:"regex"`
	Refresh     int    `json:"refresh"`
	IncludeAll  bool   `json:"includeAll"`
	// AllValue is what All stands for in a query, as written (Grafana
	// does not escape it); empty: every value, as (a|b|c).
	AllValue string          `json:"allValue,omitempty"`
	Multi    bool            `json:"multi"`
	Sort     int             `json:"sort"`
	Hide     int             `json:"hide"`
	Current  *Current        `json:"current"`
	Options  []VariableValue `json:"options"`
}

// Current is a variable's selected value.
type Current struct {
	Selected bool `json:"selected"`
	Text     any  `json:"text"`
	Value    any  `json:"value"`
}

// VariableValue is one option of a custom or text-box variable.
type VariableValue struct {
	Selected bool   `json:"selected"`
	Text     string `json:"text"`
	Value    string `json:"value"`
}

// Annotation is an annotation query. An InfluxQL annotation carries its
// query in Target, in the shape Grafana's InfluxDB datasource migrates
// the older top-level form into (and saves).
type Annotation struct {
	Name       string            `json:"name"`
	Datasource *DSRef            `json:"datasource"`
	Enable     bool              `json:"enable"`
	Hide       bool              `json:"hide"`
	IconColor  string            `json:"iconColor"`
	BuiltIn    int               `json:"builtIn,omitempty"`
	Type       string            `json:"type,omitempty"`
	Target     *AnnotationTarget `json:"target,omitempty"`
}

// AnnotationTarget is an InfluxQL annotation query: the columns that give
// each event's title, text and tags.
type AnnotationTarget struct {
	RefID           string `json:"refId"`
	Query           string `json:"query"`
	RawQuery        bool   `json:"rawQuery"`
	ResultFormat    string `json:"resultFormat"`
	QueryType       string `json:"queryType"`
	FromAnnotations bool   `json:"fromAnnotations"`
	TitleColumn     string `json:"titleColumn"`
	TextColumn      string `json:"textColumn"`
	TagsColumn      string `json:"tagsColumn"`
}

// GridPos places a panel on the 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// Panel is one panel. Type is timeseries, state-timeline, stat, table,
// bargauge or row.
type Panel struct {
	ID              int              `json:"id"`
	Type            string           `json:"type"`
	Title           string           `json:"title"`
	Description     string           `json:"description,omitempty"`
	GridPos         GridPos          `json:"gridPos"`
	Datasource      *DSRef           `json:"datasource,omitempty"`
	Interval        string           `json:"interval,omitempty"`
	MaxDataPoints   int              `json:"maxDataPoints,omitempty"`
	Targets         []*Target        `json:"targets,omitempty"`
	FieldConfig     *FieldConfig     `json:"fieldConfig,omitempty"`
	Options         map[string]any   `json:"options,omitempty"`
	Transformations []Transformation `json:"transformations,omitempty"`
	Collapsed       *bool            `json:"collapsed,omitempty"`
	// Panels are a row's collapsed panels (empty, but present, on rows).
	Panels *[]*Panel `json:"panels,omitempty"`
}

// Target is one query of a panel: InfluxQL (Query, RawQuery) or PromQL
// (Expr).
type Target struct {
	RefID        string `json:"refId"`
	Datasource   *DSRef `json:"datasource"`
	Query        string `json:"query,omitempty"`
	RawQuery     bool   `json:"rawQuery,omitempty"`
	ResultFormat string `json:"resultFormat,omitempty"`
	Alias        string `json:"alias,omitempty"`
	Expr         string `json:"expr,omitempty"`
	LegendFormat string `json:"legendFormat,omitempty"`
	Instant      bool   `json:"instant,omitempty"`
	Range        bool   `json:"range,omitempty"`
}

// FieldConfig sets units, thresholds, value mappings and per-field
// overrides.
type FieldConfig struct {
	Defaults  FieldDefaults `json:"defaults"`
	Overrides []Override    `json:"overrides"`
}

// FieldDefaults apply to every field of a panel.
type FieldDefaults struct {
	Unit       string         `json:"unit,omitempty"`
	NoValue    string         `json:"noValue,omitempty"`
	Decimals   *int           `json:"decimals,omitempty"`
	Min        *float64       `json:"min,omitempty"`
	Max        *float64       `json:"max,omitempty"`
	Color      map[string]any `json:"color,omitempty"`
	Thresholds *Thresholds    `json:"thresholds,omitempty"`
	Mappings   []Mapping      `json:"mappings,omitempty"`
	Custom     map[string]any `json:"custom,omitempty"`
}

// Thresholds are coloured steps; with custom.thresholdsStyle a time
// series draws them as lines.
type Thresholds struct {
	Mode  string `json:"mode"`
	Steps []Step `json:"steps"`
}

// Step is one threshold step; the base step has a nil Value.
type Step struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

// Mapping is a value mapping (type "value": exact values to text and
// colour).
type Mapping struct {
	Type    string                  `json:"type"`
	Options map[string]MappingValue `json:"options"`
}

// MappingValue is what a mapped value shows.
type MappingValue struct {
	Text  string `json:"text"`
	Color string `json:"color,omitempty"`
	Index int    `json:"index"`
}

// Override changes field properties of the fields a matcher picks.
type Override struct {
	Matcher    Matcher    `json:"matcher"`
	Properties []Property `json:"properties"`
}

// Matcher picks fields (byName, byRegexp, byFrameRefID).
type Matcher struct {
	ID      string `json:"id"`
	Options any    `json:"options"`
}

// Property is one overridden field property.
type Property struct {
	ID    string `json:"id"`
	Value any    `json:"value"`
}

// Transformation is a Grafana data transformation.
type Transformation struct {
	ID      string         `json:"id"`
	Options map[string]any `json:"options"`
}

// Marshal renders d as the indented JSON Grafana provisions, ending in a
// newline; the same dashboard always gives the same bytes.
func Marshal(d *Dashboard) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
