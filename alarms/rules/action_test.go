package rules

import (
	"strings"
	"testing"

	"facmon/internal/site"
)

// actionSite has a detector whose label names its floodlight, the
// floodlight (a Modbus coil) and a read-only Modbus input.
func actionSite() *site.Site {
	mb := &site.DeviceModbus{Gateway: "io", Unit: 1}
	return &site.Site{ID: "s", Devices: []site.Device{
		{ID: "z1", Kind: "perimeter_zone", Labels: map[string]string{"floodlight": "f1"},
			Signals: []site.Signal{{Name: "alarm", Type: site.State}}},
		{ID: "z2", Kind: "perimeter_zone", Signals: []site.Signal{{Name: "alarm", Type: site.State}}},
		{ID: "f1", Kind: "floodlight", Modbus: mb, Signals: []site.Signal{
			{Name: "on", Type: site.State, Modbus: &site.Register{Table: "coil"}},
			{Name: "lamp_ok", Type: site.State, Modbus: &site.Register{Table: "discrete"}}}},
	}}
}

// TestActions: write targets resolve per device; mistakes are reported
// at their place.
func TestActions(t *testing.T) {
	head := "rules:\n  - {name: r, severity: critical, cite: x, select: {kind: perimeter_zone}, signal: alarm, state: {equals: 1},\n     actions: ["
	cases := []struct {
		name, actions, err string
		targets            map[string]string
	}{
		{"floodlight by label", `{write: {device: '{{.DeviceLabels.floodlight}}', signal: "on", value: 1}}`, "",
			map[string]string{"z1": "f1"}},
		{"on clear", `{when: clear, write: {device: f1, signal: "on", value: 0}}`, "", map[string]string{"z1": "f1", "z2": "f1"}},
		{"mqtt command", `{publish: {topic: 'cmd/{{.Device}}', payload: '{"x":1}', qos: 1}}`, "", nil},
		{"read-only signal", `{write: {device: f1, signal: lamp_ok, value: 1}}`, `no coil or holding-register signal "lamp_ok"`, nil},
		{"both", `{write: {device: f1, signal: "on"}, publish: {topic: t}}`, "want exactly one of write and publish", nil},
		{"bad when", `{when: always, write: {device: f1, signal: "on"}}`, `when "always" unknown`, nil},
		{"wildcard topic", `{publish: {topic: 'cmd/#'}}`, "without wildcards", nil},
		{"unknown key", `{writ: {device: f1}}`, `unknown key "writ"`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse("r.yaml", []byte(head+c.actions+"]}\n"))
			var set *Set
			if err == nil {
				set, err = Validate([]*File{f}, actionSite())
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "r.yaml:") {
					t.Fatalf("error %v, want one at r.yaml:… containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := set.Rules[0].Actions[0]
			if c.targets != nil && (len(a.Targets) != len(c.targets) || a.Targets["z1"] != c.targets["z1"] || a.Targets["z2"] != c.targets["z2"]) {
				t.Fatalf("targets %v, want %v", a.Targets, c.targets)
			}
		})
	}
}
