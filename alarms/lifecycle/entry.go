package lifecycle

import (
	"facmon/alarms/journal"
)

// EntryType says what a journal entry records: the journal's record type.
type EntryType = journal.Type

// Entry types: the journal's.
const (
	// Transition: an engine transition (raise, clear, ack); Payload is the
	// stamped alarms.Transition.
	Transition = journal.TypeTransition
	// Action: an operator action carried out; Payload is the stamped
	// alarms.Transition for alarm actions, a ZoneEvent for zone actions.
	Action = journal.TypeAction
	// Refused: an action refused (wrong password, 24-hour zone); Payload
	// as for Action, nothing changed.
	Refused = journal.TypeRefusedAction
	// Linkage: a linkage write and its result (alarms/linkage).
	Linkage = journal.TypeLinkage
)

// Entry is one journal entry: who did what to what, when, why. It is the
// journal's record; the lifecycle writes it as is (no translation).
type Entry = journal.Record

// ZoneEvent is the payload of a zone action.
type ZoneEvent struct {
	Zone  string    `json:"zone"`
	State ZoneState `json:"state"`
}
