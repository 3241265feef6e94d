// Package rules is the alarm rule file format: the types a rule file
// decodes into, the strict parser that reports every mistake at once as
// file:line:col: message, and the validation of rules against a site (every
// device, kind, area and signal a rule names must exist). The engine
// (package alarms/engine) evaluates what this package validates; this
// package never evaluates anything.
package rules

import (
	"fmt"
	"text/template"
	"time"

	"facmon/alarms"
	"facmon/internal/yamlpos"
)

// Pos, Error and Errors are the positions and mistakes of facmon's one
// strict YAML decoder (internal/yamlpos), which rule files share with the
// site file: Parse, Load and Validate return every mistake at once as
// Errors, each file:line:col: message.
type (
	Pos    = yamlpos.Pos
	Error  = yamlpos.Error
	Errors = yamlpos.Errors
)

type errorList = yamlpos.List

// File is one rule file.
type File struct {
	Pos `yaml:"-"`
	// Rules are the alarm rules, in file order.
	Rules []Rule `yaml:"rules"`
	// Maintenance windows hold back (mark) the alarms of the devices they
	// select while they are open.
	Maintenance []Maintenance `yaml:"maintenance"`
}

// Rule is one alarm rule. Exactly one of the kind blocks (Threshold, State,
// Supervision, Sequence, Deadline, Consumption) is set; it is the rule's
// kind.
type Rule struct {
	Pos `yaml:"-"`
	// At is where each key's value was written, for messages.
	At map[string]Pos `yaml:"-"`

	Name     string          `yaml:"name"`
	Severity alarms.Severity `yaml:"severity"`
	// Cite is the clause of the standard the rule serves (篇3·十六·3);
	// required.
	Cite   string   `yaml:"cite"`
	Select Selector `yaml:"select"`
	// Signal is the watched signal (threshold, state, deadline,
	// consumption).
	Signal string `yaml:"signal"`
	// Message is a Go text/template over Data.
	Message string `yaml:"message"`
	// Todo is the rule's `action:` text: what the person told should do
	// (派保安到{{.DeviceName}}查看, 通知物业经理), a Go text/template over
	// Data like Message. Optional; notifications and the console show it.
	Todo   string            `yaml:"action"`
	Labels map[string]string `yaml:"labels"`
	// Schedule, when set, makes the rule active only inside these daily
	// windows (site time zone); outside them its condition is false.
	Schedule []Window `yaml:"schedule"`

	Threshold   *Threshold   `yaml:"threshold"`
	State       *StateRule   `yaml:"state"`
	Supervision *Supervision `yaml:"supervision"`
	Sequence    *Sequence    `yaml:"sequence"`
	Deadline    *Deadline    `yaml:"deadline"`
	Consumption *Consumption `yaml:"consumption"`

	// Actions are the rule's linkage actions (action.go, alarms/linkage).
	Actions []Action `yaml:"actions"`

	// Template is Message parsed; set by Parse.
	Template *template.Template `yaml:"-"`
	// TodoTemplate is Todo parsed, nil when Todo is empty; set by Parse.
	TodoTemplate *template.Template `yaml:"-"`
	// Devices are the ids of the selected devices; set by Validate.
	Devices []string `yaml:"-"`
}

// Selector picks the devices a rule watches. Every field set must match
// (device AND kind AND area); at least one must be set.
type Selector struct {
	Pos    `yaml:"-"`
	At     map[string]Pos `yaml:"-"`
	Device string         `yaml:"device"`
	Kind   string         `yaml:"kind"`
	// Kinds picks devices of any of these kinds.
	Kinds []string `yaml:"kinds"`
	Area  string   `yaml:"area"`
	// Labels must all be among the device's labels (purpose: fire).
	Labels map[string]string `yaml:"labels"`
	// All makes one alarm for the whole selection, raised only while the
	// condition holds on every selected device at once (both domestic
	// tanks low, 篇3·十四·3).
	All bool `yaml:"all"`
}

// Threshold raises when the signal goes above or below a bound, and clears
// only once it is back by the deadband.
type Threshold struct {
	Pos   `yaml:"-"`
	Above *float64 `yaml:"above"`
	Below *float64 `yaml:"below"`
	// Deadband is how far back past the bound the value must come to clear.
	Deadband float64 `yaml:"deadband"`
	// OnDelay is how long the condition must hold before the alarm is
	// raised; OffDelay how long it must be gone before it clears.
	OnDelay  Duration `yaml:"on_delay"`
	OffDelay Duration `yaml:"off_delay"`
	// Unit is the unit the bounds are written in ("m", "%", "°C");
	// optional. The engine compares numbers only; `facmon check` warns when
	// a selected signal is in another unit.
	Unit string `yaml:"unit"`
}

// StateRule raises while a signal equals a value. With ChangesTo it raises
// only on a change to the value from a different known one. The value is a
// number or the state's name in the site file (`equals: alarm`).
type StateRule struct {
	Pos       `yaml:"-"`
	Equals    *StateValue `yaml:"equals"`
	ChangesTo *StateValue `yaml:"changes_to"`
	OnDelay   Duration    `yaml:"on_delay"`
	// OffDelay is how long the signal must have left the state before the
	// alarm clears (the floodlight of an intrusion stays on for it, and
	// its clear action switches it off, 篇3·二十二·1).
	OffDelay Duration `yaml:"off_delay"`
}

// Supervision watches a device's health, whatever a zone's arming
// (篇3·二十二·6): offline or faulty status, silence, and line-fault bits.
// Exactly one of Offline, NoDataFor and LineFault is set.
type Supervision struct {
	Pos `yaml:"-"`
	// Offline raises when the collector reports the device offline or
	// faulty (the collectors.StatusSignal points).
	Offline bool `yaml:"offline"`
	// NoDataFor raises when no point of the device came for this long.
	NoDataFor Duration `yaml:"no_data_for"`
	// LineFault raises while any named bit of a fault-word signal is set.
	LineFault *LineFault `yaml:"line_fault"`
}

// LineFault names the bits of a fault word.
type LineFault struct {
	Pos    `yaml:"-"`
	Signal string `yaml:"signal"`
	// Bits maps a fault name (open, short, power_loss) to its bit number.
	Bits map[string]int `yaml:"bits"`
}

// Fault is one of the four generator faults of 篇3·十五·7.
type Fault string

// Generator faults.
const (
	// FailToStart: mains lost and the generator not running within D1.
	FailToStart Fault = "fail_to_start"
	// FailToTransfer: mains lost and the load not transferred within D2.
	FailToTransfer Fault = "fail_to_transfer"
	// RunOnTooLong: mains back and the generator still running after
	// RunOn + Tolerance.
	RunOnTooLong Fault = "run_on_too_long"
	// StoppedEarly: the generator stopped sooner than RunOn − Tolerance
	// after mains returned (cool-down cut short).
	StoppedEarly Fault = "stopped_early"
)

// Faults lists the generator faults.
var Faults = []Fault{FailToStart, FailToTransfer, RunOnTooLong, StoppedEarly}

// Sequence is the mains/generator interlock of 篇3·十五·7, watching three
// boolean signals of one device (the generator controller or ATS).
type Sequence struct {
	Pos   `yaml:"-"`
	Fault Fault `yaml:"fault"`
	// Mains is 1 while mains power is present (default "mains_ok").
	Mains string `yaml:"mains"`
	// Running is 1 while the generator runs (default "running").
	Running string `yaml:"running"`
	// Transfer is 1 while the load is on the generator (default
	// "on_generator").
	Transfer string `yaml:"transfer"`
	// MainsDevice and TransferDevice are the devices that report Mains and
	// Transfer when the generator controller does not (a mains monitor, an
	// ATS); empty means the selected generator itself.
	MainsDevice    string   `yaml:"mains_device"`
	TransferDevice string   `yaml:"transfer_device"`
	D1             Duration `yaml:"d1"`
	D2             Duration `yaml:"d2"`
	RunOn          Duration `yaml:"run_on"`
	Tolerance      Duration `yaml:"tolerance"`
}

// Deadline raises when a condition has not cleared within a time (bin still
// ≥ 2/3 after 1 h; door held open past its delay, 篇3·十七·3).
type Deadline struct {
	Pos   `yaml:"-"`
	Above *float64 `yaml:"above"`
	Below *float64 `yaml:"below"`
	// Equals is a number or a state name, as in StateRule.
	Equals *StateValue `yaml:"equals"`
	Within Duration    `yaml:"within"`
}

// Consumption raises when a counter's increase over a sliding window is
// above or below a bound (night water flow, lighting energy by day).
type Consumption struct {
	Pos    `yaml:"-"`
	Window Duration `yaml:"window"`
	Above  *float64 `yaml:"above"`
	Below  *float64 `yaml:"below"`
	// Wrap is the value at which the counter wraps to zero (65536 for a
	// 16-bit register); 0 means a decrease is a reset.
	Wrap float64 `yaml:"wrap"`
}

// Window is a daily time window "HH:MM"–"HH:MM" in the site's time zone; a
// window whose end is before its start runs past midnight.
type Window struct {
	Pos  `yaml:"-"`
	From Clock `yaml:"from"`
	To   Clock `yaml:"to"`
}

// Maintenance is a named maintenance window (elevators 00:00–05:00, 篇2
// 电梯维保零干扰): the alarms of the selected devices raised inside it are
// marked alarms.Maintenance and held back from notification.
type Maintenance struct {
	Pos    `yaml:"-"`
	At     map[string]Pos `yaml:"-"`
	Name   string         `yaml:"name"`
	Cite   string         `yaml:"cite"`
	Select Selector       `yaml:"select"`
	Window `yaml:",inline"`

	// Devices are the ids of the selected devices; set by Validate.
	Devices []string `yaml:"-"`
}

// Duration is a time.Duration written as "500ms", "30s", "3m", "1h".
type Duration time.Duration

// UnmarshalText reads a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bad duration %q (want e.g. 30s, 3m, 1h)", b)
	}
	if v < 0 {
		return fmt.Errorf("bad duration %q: negative", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Clock is a time of day, in minutes after midnight.
type Clock int

// UnmarshalText reads "HH:MM" (00:00–24:00).
func (c *Clock) UnmarshalText(b []byte) error {
	var h, m int
	if n, err := fmt.Sscanf(string(b), "%d:%d", &h, &m); err != nil || n != 2 || len(b) != 5 ||
		h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return fmt.Errorf("bad time of day %q (want HH:MM)", b)
	}
	*c = Clock(h*60 + m)
	return nil
}

// MarshalText writes "HH:MM".
func (c Clock) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// String returns "HH:MM".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Contains reports whether the minute of day m is inside the window.
func (w Window) Contains(m int) bool {
	from, to := int(w.From), int(w.To)
	if from <= to {
		return m >= from && m < to
	}
	return m >= from || m < to
}

// Kind returns the name of the rule's kind block ("" if none).
func (r *Rule) Kind() string {
	switch {
	case r.Threshold != nil:
		return "threshold"
	case r.State != nil:
		return "state"
	case r.Supervision != nil:
		return "supervision"
	case r.Sequence != nil:
		return "sequence"
	case r.Deadline != nil:
		return "deadline"
	case r.Consumption != nil:
		return "consumption"
	}
	return ""
}
