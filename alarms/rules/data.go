package rules

import (
	"io"
	"strings"
	"text/template"
	"time"
)

// Data is what a rule's message template sees, e.g.
// `{{.Device}} 水位低：{{printf "%.2f" .Value}} m，已持续 {{.Duration}}`.
type Data struct {
	Rule   string
	Site   string
	Device string
	// DeviceName is the device's human name from the site file.
	DeviceName string
	Area       string
	Kind       string
	Signal     string
	Value      float64
	// Duration is how long the condition has held when the alarm is raised.
	Duration time.Duration
	// Fault names the fault found (the line-fault bits set, or the
	// generator fault).
	Fault string
	// Labels are the rule's labels; DeviceLabels the device's labels from
	// the site file (room number, zone number).
	Labels       map[string]string
	DeviceLabels map[string]string
}

// DefaultMessage is the template of a rule without a message.
const DefaultMessage = `{{.Rule}}: {{.Device}}{{if .Signal}} {{.Signal}}={{.Value}}{{end}}`

// parseMessage parses a message template and runs it once on empty Data so
// that unknown fields are caught when the file is loaded, not when the
// alarm fires.
func parseMessage(name, text string) (*template.Template, error) {
	if strings.TrimSpace(text) == "" {
		text = DefaultMessage
	}
	t, err := template.New(name).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, err
	}
	if err := t.Execute(io.Discard, Data{Labels: map[string]string{}, DeviceLabels: map[string]string{}}); err != nil {
		return nil, err
	}
	return t, nil
}

// Render returns the message for d; a failing template yields the default
// form with the error, never nothing.
func (r *Rule) Render(d *Data) string {
	var b strings.Builder
	if r.Template == nil || r.Template.Execute(&b, d) != nil {
		b.Reset()
		b.WriteString(r.Name + ": " + d.Device)
	}
	return b.String()
}

// RenderTodo returns the rule's action text for d, "" when the rule has
// none; a failing template yields the text unrendered.
func (r *Rule) RenderTodo(d *Data) string {
	if r.TodoTemplate == nil {
		return ""
	}
	var b strings.Builder
	if r.TodoTemplate.Execute(&b, d) != nil {
		return r.Todo
	}
	return b.String()
}
