// Package check reads provisioned Grafana dashboard files the way Grafana
// does and pulls out every query they run — panel targets, template
// variables, annotations — and substitutes template variables, $timeFilter
// and $__interval as Grafana's InfluxQL datasource would, so tests can run
// each query against a real InfluxDB and check PromQL metric names against
// a real /metrics.
package check

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Kind says where a query came from and which language it is.
type Kind int

// Query kinds.
const (
	PanelInflux Kind = iota
	PanelProm
	VariableInflux
	VariableProm
	AnnotationInflux
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case PanelInflux:
		return "panel/influxql"
	case PanelProm:
		return "panel/promql"
	case VariableInflux:
		return "variable/influxql"
	case VariableProm:
		return "variable/promql"
	case AnnotationInflux:
		return "annotation/influxql"
	}
	return "unknown"
}

// Query is one query of a dashboard file.
type Query struct {
	File  string // dashboard file name
	Where string // panel title and refId, variable or annotation name
	Kind  Kind
	Text  string
	// Interval is the panel's minimum interval ("10s"), empty for none.
	Interval string
	// RawQuery is the target's rawQuery flag (InfluxQL panels only).
	RawQuery bool
	// Legend is a PromQL target's legend format ({{label}} …), or an
	// InfluxQL target's alias ($tag_name …).
	Legend string
	// Table is an InfluxQL target answered as a table.
	Table bool
	// MaxDataPoints is the panel's limit on points (0: Grafana's default,
	// about the panel's width in pixels).
	MaxDataPoints int
}

// Dashboard is what the queries need from a dashboard file.
type Dashboard struct {
	File      string
	UID       string
	Title     string
	Variables []Variable
	Queries   []Query
	// Panels are the titles of every panel and row, in file order.
	Panels []string
	Raw    map[string]any
}

// Variable is a template variable.
type Variable struct {
	Name, Type, Query, Regex string
	Datasource               string // datasource type of query variables
	Multi, IncludeAll        bool
	// AllValue is what All stands for (as written), "" for every value.
	AllValue string
}

type fileJSON struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name       string  `json:"name"`
			Type       string  `json:"type"`
			Query      any     `json:"query"`
			Regex      string  `json:"regex"`
			Multi      bool    `json:"multi"`
			IncludeAll bool    `json:"includeAll"`
			AllValue   string  `json:"allValue"`
			Datasource *dsJSON `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name       string  `json:"name"`
			BuiltIn    int     `json:"builtIn"`
			Datasource *dsJSON `json:"datasource"`
			Target     *struct {
				Query string `json:"query"`
			} `json:"target"`
		} `json:"list"`
	} `json:"annotations"`
	Panels []panelJSON `json:"panels"`
}

type dsJSON struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panelJSON struct {
	Title         string      `json:"title"`
	Type          string      `json:"type"`
	Interval      string      `json:"interval"`
	MaxDataPoints int         `json:"maxDataPoints"`
	Datasource    *dsJSON     `json:"datasource"`
	Panels        []panelJSON `json:"panels"`
	Targets       []struct {
		RefID      string  `json:"refId"`
		Datasource *dsJSON `json:"datasource"`
		Query      string  `json:"query"`
		RawQuery   bool    `json:"rawQuery"`
		Expr       string  `json:"expr"`
		Legend     string  `json:"legendFormat"`
		Alias      string  `json:"alias"`
		Format     string  `json:"resultFormat"`
	} `json:"targets"`
}

// LoadDir reads every *.json dashboard in dir, sorted by file name.
func LoadDir(dir string) ([]*Dashboard, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	out := make([]*Dashboard, 0, len(paths))
	for _, p := range paths {
		d, err := Load(p)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Load reads one dashboard file.
func Load(path string) (*Dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f fileJSON
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d := &Dashboard{File: filepath.Base(path), UID: f.UID, Title: f.Title}
	if err := json.Unmarshal(b, &d.Raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d.addVariables(&f)
	d.addAnnotations(&f)
	for _, p := range f.Panels {
		d.addPanel(p)
	}
	return d, nil
}

func (d *Dashboard) addVariables(f *fileJSON) {
	for _, v := range f.Templating.List {
		q, _ := v.Query.(string)
		vr := Variable{Name: v.Name, Type: v.Type, Query: q, Regex: v.Regex, Multi: v.Multi, IncludeAll: v.IncludeAll, AllValue: v.AllValue}
		if v.Datasource != nil {
			vr.Datasource = v.Datasource.Type
		}
		d.Variables = append(d.Variables, vr)
		if v.Type != "query" {
			continue
		}
		k := VariableInflux
		if vr.Datasource == "prometheus" {
			k = VariableProm
		}
		d.Queries = append(d.Queries, Query{File: d.File, Where: "variable " + v.Name, Kind: k, Text: q})
	}
}

func (d *Dashboard) addAnnotations(f *fileJSON) {
	for _, a := range f.Annotations.List {
		if a.BuiltIn == 1 || a.Target == nil || a.Target.Query == "" {
			continue
		}
		d.Queries = append(d.Queries, Query{File: d.File, Where: "annotation " + a.Name, Kind: AnnotationInflux, Text: a.Target.Query})
	}
}

func (d *Dashboard) addPanel(p panelJSON) {
	d.Panels = append(d.Panels, p.Title)
	for _, sub := range p.Panels {
		d.addPanel(sub)
	}
	for _, t := range p.Targets {
		ds := t.Datasource
		if ds == nil {
			ds = p.Datasource
		}
		q := Query{File: d.File, Where: fmt.Sprintf("panel %q %s", p.Title, t.RefID), Interval: p.Interval,
			MaxDataPoints: p.MaxDataPoints, RawQuery: t.RawQuery}
		switch {
		case ds != nil && ds.Type == "prometheus":
			q.Kind, q.Text, q.Legend = PanelProm, t.Expr, t.Legend
		default:
			q.Kind, q.Text, q.Legend, q.Table = PanelInflux, t.Query, t.Alias, t.Format == "table"
		}
		d.Queries = append(d.Queries, q)
	}
}
