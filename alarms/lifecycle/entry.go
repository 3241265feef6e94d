package lifecycle

import (
	"encoding/json"
	"time"
)

// EntryType says what a journal entry records; the names match the record
// types of alarms/journal.
type EntryType uint8

// Entry types.
const (
	// Transition: an engine transition (raise, clear, ack); Payload is the
	// stamped alarms.Transition.
	Transition EntryType = iota + 1
	// Action: an operator action carried out; Payload is the stamped
	// alarms.Transition for alarm actions, a ZoneEvent for zone actions.
	Action
	// Refused: an action refused (wrong password, 24-hour zone); Payload
	// as for Action, nothing changed.
	Refused
	// Linkage: a linkage write and its result (alarms/linkage).
	Linkage
)

var entryNames = [...]string{"unknown", "transition", "action", "refused-action", "linkage"}

// String returns the type's name, or "unknown".
func (t EntryType) String() string {
	if int(t) < len(entryNames) {
		return entryNames[t]
	}
	return "unknown"
}

// Entry is one journal entry: who did what to what, when, why.
type Entry struct {
	// Seq is the journal's number of the entry, set on restore.
	Seq  uint64
	Type EntryType
	Time time.Time
	// User is who: an operator, "engine", "facmon" (a shelf expiring).
	User string
	// Action is what: raise, ack, shelve, arm, disarm, floodlight write...
	Action string
	// Subject is the alarm id, zone id or device.
	Subject string
	// Reason is why, or the result.
	Reason  string
	Payload json.RawMessage
}

// ZoneEvent is the payload of a zone action.
type ZoneEvent struct {
	Zone  string    `json:"zone"`
	State ZoneState `json:"state"`
}
