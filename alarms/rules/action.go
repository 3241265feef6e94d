package rules

import (
	"slices"
	"strconv"
	"strings"
	"text/template"

	"facmon/internal/site"
)

// Action is a linkage action of a rule (篇3·二十二·1, 篇3·十三·3): when
// the rule's alarm is raised (or cleared), write a Modbus coil or holding
// register, or publish an MQTT command. Exactly one of Write and Publish
// is set. alarms/linkage carries them out.
type Action struct {
	Pos `yaml:"-"`
	At  map[string]Pos `yaml:"-"`
	// When is "raise" (the default) or "clear".
	When    string   `yaml:"when"`
	Write   *Write   `yaml:"write"`
	Publish *Publish `yaml:"publish"`
	// Targets maps each device of the rule to the device Write writes,
	// the template rendered; set by Validate.
	Targets map[string]string `yaml:"-"`
}

// Write sets a signal of a Modbus device: a coil (Value 0 or 1) or a
// holding register (Value in the signal's unit).
type Write struct {
	Pos `yaml:"-"`
	At  map[string]Pos `yaml:"-"`
	// Device is the device id, or a template over Data such as
	// '{{.DeviceLabels.floodlight}}' (the alarm device's floodlight).
	Device string  `yaml:"device"`
	Signal string  `yaml:"signal"`
	Value  float64 `yaml:"value"`
}

// Publish sends an MQTT command; Topic and Payload are templates over Data.
type Publish struct {
	Pos      `yaml:"-"`
	At       map[string]Pos `yaml:"-"`
	Topic    string         `yaml:"topic"`
	Payload  string         `yaml:"payload"`
	QoS      int            `yaml:"qos"`
	Retained bool           `yaml:"retained"`
}

// OnClear reports whether the action runs when the alarm clears.
func (a *Action) OnClear() bool { return a.When == "clear" }

// checkActions checks each action and resolves its write targets for every
// device of the rule: the target must exist and have the signal in a coil
// or holding register.
func checkActions(byID map[string]*site.Device, r *Rule, ctx string, errs *errorList) {
	for i := range r.Actions {
		a := &r.Actions[i]
		actx := ctx + ": actions[" + itoa(i) + "]"
		switch {
		case a.When != "" && a.When != "raise" && a.When != "clear":
			errs.Add(a.Pos, "%s: when %q unknown (want raise or clear)", actx, a.When)
		case (a.Write == nil) == (a.Publish == nil):
			errs.Add(a.Pos, "%s: want exactly one of write and publish", actx)
		case a.Write != nil:
			checkWrite(byID, r, a, actx, errs)
		case a.Publish != nil:
			checkPublish(a.Publish, actx, errs)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// checkWrite resolves and checks a write's target for every device. A
// device whose target cannot be resolved (no such label, no such device,
// or a device that is not on Modbus: a rule-test site) gets no target, and
// alarms/linkage logs it when it starts; a Modbus device that lacks the
// signal, or has it in a read-only table, is a mistake.
func checkWrite(byID map[string]*site.Device, r *Rule, a *Action, ctx string, errs *errorList) {
	w := a.Write
	tmpl, err := template.New("device").Option("missingkey=error").Parse(w.Device)
	if err != nil || w.Device == "" || w.Signal == "" {
		errs.Add(w.Pos, "%s: write: device and signal required (device may be a template): %v", ctx, err)
		return
	}
	a.Targets = map[string]string{}
	for _, id := range r.Devices {
		d := byID[id]
		var b strings.Builder
		if tmpl.Execute(&b, &Data{Rule: r.Name, Device: id, DeviceName: d.Name, Area: d.Area, Kind: d.Kind,
			Labels: r.Labels, DeviceLabels: d.Labels}) != nil {
			continue
		}
		target := b.String()
		t := byID[target]
		if t == nil || t.Modbus == nil {
			continue
		}
		i := slices.IndexFunc(t.Signals, func(sg site.Signal) bool { return sg.Name == w.Signal })
		if i < 0 || t.Signals[i].Modbus == nil || (t.Signals[i].Modbus.Table != "coil" && t.Signals[i].Modbus.Table != "holding") {
			errs.Add(w.Pos, "%s: write: device %q has no coil or holding-register signal %q", ctx, target, w.Signal)
			continue
		}
		a.Targets[id] = target
	}
}

// checkPublish checks an MQTT command's templates.
func checkPublish(p *Publish, ctx string, errs *errorList) {
	if p.Topic == "" || strings.ContainsAny(p.Topic, "+#") {
		errs.Add(p.Pos, "%s: publish: topic required, without wildcards", ctx)
	}
	for _, t := range []string{p.Topic, p.Payload} {
		if _, err := template.New("").Parse(t); err != nil {
			errs.Add(p.Pos, "%s: publish: %v", ctx, err)
		}
	}
	if p.QoS < 0 || p.QoS > 2 {
		errs.Add(p.Pos, "%s: publish: qos must be 0, 1 or 2", ctx)
	}
}
