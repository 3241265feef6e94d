package check

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// TestGrafanaSchema decodes every dashboard strictly against Grafana's
// own schema (the Grafana Foundation SDK's generated types, with every
// core panel plugin's options and field config): an unknown key, a
// missing required one or a wrongly typed value fails. InfluxQL targets
// have no schema in the SDK; TestInfluxQLRules and TestEveryPanelHasData
// cover them.
func TestGrafanaSchema(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	for _, d := range loadAll(t) {
		t.Run(d.File, func(t *testing.T) {
			b, err := os.ReadFile("../" + d.File)
			if err != nil {
				t.Fatal(err)
			}
			if err := strictDecode(b); err != nil {
				t.Errorf("%s:\n%v", d.File, err)
			}
		})
	}
	t.Run("a misspelt option fails", func(t *testing.T) {
		b, err := os.ReadFile("../power.json")
		if err != nil {
			t.Fatal(err)
		}
		if strictDecode(bytes.Replace(b, []byte(`"mergeValues"`), []byte(`"mergeValuez"`), 1)) == nil {
			t.Error("no error for options.mergeValuez")
		}
	})
}

// strictDecode decodes a dashboard strictly; nil if it is valid.
func strictDecode(b []byte) error {
	var dash dashboard.Dashboard
	err := dash.UnmarshalJSONStrict(b)
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil // the SDK returns an empty list for "no errors"
	}
	return err
}
