// Package alarms holds the alarm types shared by the rule engine and
// everything downstream of it (journal, console, MQTT and InfluxDB outputs,
// notifiers): severities, alarm states, and the Transition the engine emits
// whenever an alarm is raised, cleared or acknowledged.
package alarms

import (
	"context"
	"fmt"
	"time"
)

// Severity is how urgent an alarm is. The zero value is not a severity.
type Severity uint8

// Severities, most urgent first.
const (
	// Critical: life safety or loss of supply (fire, intrusion, generator
	// failed to start).
	Critical Severity = iota + 1
	// Major: equipment failure that needs action this shift.
	Major
	// Minor: degraded, needs attention soon.
	Minor
	// Warning: worth knowing, no action yet.
	Warning
)

var severityNames = [...]string{"unknown", "critical", "major", "minor", "warning"}

// String returns the severity's name, or "unknown".
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "unknown"
}

// ParseSeverity returns the severity named s (critical, major, minor,
// warning).
func ParseSeverity(s string) (Severity, error) {
	for i := 1; i < len(severityNames); i++ {
		if severityNames[i] == s {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("severity %q unknown (want critical, major, minor or warning)", s)
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// State is where an alarm is in its life.
type State uint8

// Alarm states. An alarm that cleared before anyone acknowledged it stays
// ClearedUnacked until someone does; acknowledging a cleared alarm returns it
// to Normal.
const (
	// Normal: no alarm.
	Normal State = iota
	// ActiveUnacked: the condition holds and nobody has acknowledged it.
	ActiveUnacked
	// ActiveAcked: the condition holds and an operator has acknowledged it.
	ActiveAcked
	// ClearedUnacked: the condition has gone but nobody acknowledged it.
	ClearedUnacked
	// Latched: a latched alarm (intrusion, fire) whose condition has gone
	// and which was acknowledged; it stays until a person resets it
	// (alarms/lifecycle).
	Latched
)

var stateNames = [...]string{"normal", "active-unacknowledged", "active-acknowledged", "cleared-unacknowledged", "latched"}

// String returns the state's name, or "unknown".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// Active reports whether the alarm's condition holds.
func (s State) Active() bool { return s == ActiveUnacked || s == ActiveAcked }

// ParseState returns the state named s.
func ParseState(s string) (State, error) {
	for i, n := range stateNames {
		if n == s {
			return State(i), nil
		}
	}
	return 0, fmt.Errorf("alarm state %q unknown (want normal, active-unacknowledged, active-acknowledged or cleared-unacknowledged)", s)
}

// MarshalText writes the state's name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's name.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Change is what happened to an alarm in one transition.
type Change uint8

// Changes.
const (
	// Raise: the condition started to hold (after any on-delay).
	Raise Change = iota + 1
	// Clear: the condition stopped holding (after deadband and off-delay),
	// or the rule was removed on reload.
	Clear
	// Ack: an operator acknowledged the alarm.
	Ack
	// Shelve, Unshelve, OutOfService, InService, Note, Resolve and Reset
	// are the operator actions of alarms/lifecycle (ISA-18.2); Unshelve is
	// also emitted when a shelf expires.
	Shelve
	Unshelve
	OutOfService
	InService
	Note
	Resolve
	Reset
)

var changeNames = [...]string{"unknown", "raise", "clear", "ack", "shelve", "unshelve",
	"out-of-service", "in-service", "note", "resolve", "reset"}

// String returns the change's name, or "unknown".
func (c Change) String() string {
	if int(c) < len(changeNames) {
		return changeNames[c]
	}
	return "unknown"
}

// MarshalText writes the change's name.
func (c Change) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a change's name.
func (c *Change) UnmarshalText(b []byte) error {
	for i := 1; i < len(changeNames); i++ {
		if changeNames[i] == string(b) {
			*c = Change(i)
			return nil
		}
	}
	return fmt.Errorf("alarm change %q unknown", b)
}

// Hold says why an alarm is marked as held back from notification.
type Hold uint8

// Holds.
const (
	// NotHeld: notify as usual.
	NotHeld Hold = iota
	// Maintenance: the device is inside a maintenance window (篇2 电梯维保
	// 00:00–05:00); the alarm is recorded and shown, marked, but not notified.
	Maintenance
	// HeldShelved: an operator shelved the alarm for a time
	// (alarms/lifecycle); recorded and shown, marked, not notified.
	HeldShelved
	// HeldOutOfService: an engineer took the alarm out of service.
	HeldOutOfService
)

// String returns the hold's name ("" for NotHeld), or "unknown".
func (h Hold) String() string {
	switch h {
	case NotHeld:
		return ""
	case Maintenance:
		return "maintenance"
	case HeldShelved:
		return "shelved"
	case HeldOutOfService:
		return "out-of-service"
	}
	return "unknown"
}

// MarshalText writes the hold's name.
func (h Hold) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads a hold's name ("" for NotHeld).
func (h *Hold) UnmarshalText(b []byte) error {
	for _, v := range []Hold{NotHeld, Maintenance, HeldShelved, HeldOutOfService} {
		if v.String() == string(b) {
			*h = v
			return nil
		}
	}
	return fmt.Errorf("alarm hold %q unknown", b)
}

// Transition is one change of one alarm, as the engine emits it. The
// engine emits transitions in the order they happened; outputs must keep
// that order per alarm.
type Transition struct {
	// ID is stable for one occurrence of one alarm (rule, device, raise
	// time): the raise, its ack and its clear carry the same ID.
	ID     string `json:"id"`
	Rule   string `json:"rule"`
	Site   string `json:"site"`
	Area   string `json:"area"`
	Kind   string `json:"kind"`
	Device string `json:"device"`
	// Signal is the signal whose point caused the transition, if any.
	Signal   string   `json:"signal,omitempty"`
	Severity Severity `json:"severity"`
	// Message is the rule's message template rendered for this device.
	Message string `json:"message"`
	// Labels are the rule's labels; the map is shared, read it only.
	Labels map[string]string `json:"labels,omitempty"`
	// Cite is the clause of the standard the rule comes from (篇3·十六·3).
	Cite string `json:"cite"`
	// Action is the rule's action text rendered for this device: what the
	// person told should do (派保安到东围墙1防区查看); empty when the rule
	// has none.
	Action string `json:"action,omitempty"`
	Change Change `json:"change"`
	// Value is the value of the point that caused the transition (or the
	// last value seen, for timer-driven transitions).
	Value float64 `json:"value"`
	// Time is the time of the point or timer that caused the transition,
	// never the wall clock at evaluation.
	Time time.Time `json:"time"`
	// ActiveSince is when the alarm was raised.
	ActiveSince time.Time `json:"active_since"`
	From        State     `json:"from"`
	To          State     `json:"to"`
	// By is who acknowledged, for Ack.
	By string `json:"by,omitempty"`
	// Hold marks an alarm held back from notification.
	Hold Hold `json:"hold,omitempty"`
	// Seq is the sequence number of the journal record of this transition
	// (0 before it is journaled): the group centre detects a lost message
	// by a gap and fetches what it lacks from the history (docs/centre.md).
	Seq uint64 `json:"seq,omitempty"`
	Lifecycle
}

// Lifecycle is what alarms/lifecycle adds to a transition: why an operator
// acted, and the alarm's lifecycle marks at that moment, so that the board
// (whose entries are the latest transition) shows them.
type Lifecycle struct {
	// Reason is why, for shelve, out-of-service, reset and refused actions;
	// the result for resolve; the text for note.
	Reason string `json:"reason,omitempty"`
	// ShelvedUntil is when the alarm's shelf ends, if shelved.
	ShelvedUntil *time.Time `json:"shelved_until,omitempty"`
	// OutOfService is set while an engineer has the alarm out of service.
	OutOfService bool `json:"out_of_service,omitempty"`
	// Latched is set for alarms of latched rules (intrusion, fire): they
	// stay until a person resets them.
	Latched bool `json:"latched,omitempty"`
	// Notes are the handling notes so far, oldest first.
	Notes []AlarmNote `json:"notes,omitempty"`
	// Resolution is the result the alarm was resolved with, if any.
	Resolution string `json:"resolution,omitempty"`
	// Zone is the id of the zone the alarm's device belongs to, if any.
	Zone string `json:"zone,omitempty"`
}

// AlarmNote is one handling note on an alarm.
type AlarmNote struct {
	By   string    `json:"by"`
	Time time.Time `json:"time"`
	Text string    `json:"text"`
}

// AlarmID returns the stable id of the occurrence of rule on device raised
// at since.
func AlarmID(rule, device string, since time.Time) string {
	return fmt.Sprintf("%s/%s/%d", rule, device, since.UnixMilli())
}

// Output consumes transitions: the journal, the MQTT and InfluxDB outputs,
// the console and the notifiers. Transitions are delivered in the order the
// engine emitted them; an Output must not block the engine for long (queue
// and return).
type Output interface {
	Transitions(ctx context.Context, ts []Transition) error
}

// OutputFunc adapts a function to an Output.
type OutputFunc func(ctx context.Context, ts []Transition) error

// Transitions calls f.
func (f OutputFunc) Transitions(ctx context.Context, ts []Transition) error { return f(ctx, ts) }
