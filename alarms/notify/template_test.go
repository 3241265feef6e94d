package notify

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"facmon/internal/site"
)

// TestSiteKnowsTheFuncs: the site checker parses templates with the same
// function names as the notifier renders them with.
func TestSiteKnowsTheFuncs(t *testing.T) {
	var names []string
	for k := range funcs {
		names = append(names, k)
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(site.TemplateFuncs))
	if !slices.Equal(names, want) {
		t.Fatalf("notify funcs %v, site.TemplateFuncs %v", names, want)
	}
}

func TestTemplates(t *testing.T) {
	tests := []struct {
		name, text, want, err string
	}{
		{"fields", `{{.Event}} {{(index .Alerts 0).Device}} {{.Count}}`, "firing fire-tank-1 1", ""},
		{"json escapes", `{"m":{{json (index .Alerts 0).Message}}}`, `{"m":"消防水池水位低 2.1 m"}`, ""},
		{"truncate", `{{truncate 3 (index .Alerts 0).Message}}`, "消防水…", ""},
		{"title", `{{.Title}}`, "紧急告警", ""},
		{"summary", `{{.Summary}}`, "紧急告警：pump-room · fire-tank-1 消防水池水位低 2.1 m", ""},
		{"names, local time and action", `{{with index .Alerts 0}}{{.Place}} {{.At}} {{.Action}}{{end}}`, "pump-room · fire-tank-1  ", ""},
		{"unknown field is an error", `{{.Nope}}`, "", "can't evaluate field Nope"},
		{"huge output is cut", `{{range 100000000}}xxxxxxxx{{end}}`, "", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := ParseTemplate("t", tt.text)
			if err != nil {
				t.Fatal(err)
			}
			out, err := tm.Render(testMessage())
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || string(out) != tt.want {
				t.Fatalf("got %q, %v; want %q", out, err, tt.want)
			}
		})
	}
}

// TestBuiltInTemplates renders the built-in templates for every event,
// with and without a person, and wants valid JSON where JSON is made.
func TestBuiltInTemplates(t *testing.T) {
	for _, ev := range []Event{Firing, Resolved, Escalation, Refresh, Heartbeat, Test} {
		for _, withPerson := range []bool{true, false} {
			m := testMessage()
			m.Event = ev
			if !withPerson {
				m.To, m.AckURL = nil, ""
			}
			for _, tm := range []*Template{defaultWebhook, defaultSMS, defaultMarkdown} {
				out, err := tm.Render(m)
				if err != nil {
					t.Fatalf("%s %s person=%v: %v", tm.t.Name(), ev, withPerson, err)
				}
				if tm != defaultMarkdown && !json.Valid(out) {
					t.Fatalf("%s %s: invalid JSON %s", tm.t.Name(), ev, out)
				}
			}
		}
	}
	m := testMessage()
	m.Alerts = nil
	if _, err := defaultSMS.Render(m); err != nil {
		t.Fatalf("sms with no alerts: %v", err)
	}
}

// FuzzTemplate parses and renders templates from a site file: whatever
// the text, rendering must not panic, hang or pass the size bound.
func FuzzTemplate(f *testing.F) {
	f.Add(markdownText)
	f.Add(smsText)
	f.Add(`{{json .}}`)
	f.Add(`{{range .Alerts}}{{.Message}}{{end}}`)
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(text, "range") && strings.ContainsAny(text, "0123456789") {
			// Integer ranges may legitimately run long before the size
			// bound stops them; keep fuzz iterations short.
			return
		}
		tm, err := ParseTemplate("fuzz", text)
		if err != nil {
			return
		}
		out, err := tm.Render(testMessage())
		if err == nil && len(out) > maxRendered {
			t.Fatalf("rendered %d bytes", len(out))
		}
	})
}
