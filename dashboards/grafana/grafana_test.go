package grafana

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestLayout(t *testing.T) {
	d := New("u", "T", "")
	l := NewLayout(d)
	l.Add(12, 8, &Panel{Title: "a"})
	l.Add(12, 6, &Panel{Title: "b"})
	l.Add(8, 4, &Panel{Title: "c"}) // wraps below the taller of a and b
	l.Row("r")
	l.Add(24, 5, &Panel{Title: "d"})
	for _, tc := range []struct {
		title string
		want  GridPos
		id    int
	}{
		{"a", GridPos{H: 8, W: 12, X: 0, Y: 0}, 1},
		{"b", GridPos{H: 6, W: 12, X: 12, Y: 0}, 2},
		{"c", GridPos{H: 4, W: 8, X: 0, Y: 8}, 3},
		{"r", GridPos{H: 1, W: 24, X: 0, Y: 12}, 4},
		{"d", GridPos{H: 5, W: 24, X: 0, Y: 13}, 5},
	} {
		t.Run(tc.title, func(t *testing.T) {
			p := d.Panels[tc.id-1]
			if p.Title != tc.title || p.GridPos != tc.want || p.ID != tc.id {
				t.Errorf("panel %q id %d at %+v, want %q id %d at %+v", p.Title, p.ID, p.GridPos, tc.title, tc.id, tc.want)
			}
		})
	}
}

func TestNewPanelLettersTargets(t *testing.T) {
	p := NewPanel("timeseries", "t", "", Influx, InfluxTarget("q1", ""), InfluxTarget("q2", ""), PromTarget("e", "l"))
	for i, want := range []string{"A", "B", "C"} {
		if p.Targets[i].RefID != want {
			t.Errorf("target %d refId %s, want %s", i, p.Targets[i].RefID, want)
		}
	}
}

// TestMarshal checks the JSON is stable, keeps <, > and & as they are
// (InfluxQL comparisons), and names datasources by variable.
func TestMarshal(t *testing.T) {
	d := New("u", "T", "")
	NewLayout(d).Add(24, 8, NewPanel("timeseries", "t", "", Influx, InfluxTarget(`SELECT x FROM "m" WHERE "v" > 1 AND time < now()`, "")))
	a, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Marshal(d)
	if !bytes.Equal(a, b) {
		t.Error("two renderings differ")
	}
	if !bytes.Contains(a, []byte(`"v\" > 1 AND time < now()`)) {
		t.Errorf("comparison escaped: %s", a)
	}
	var back map[string]any
	if err := json.Unmarshal(a, &back); err != nil {
		t.Fatal(err)
	}
	ds := back["panels"].([]any)[0].(map[string]any)["datasource"].(map[string]any)
	if ds["uid"] != "${DS_INFLUX}" || ds["type"] != "influxdb" {
		t.Errorf("datasource %v", ds)
	}
}
