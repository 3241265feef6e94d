package journal

import (
	"context"
	"encoding/json"
	"fmt"

	"facmon/alarms"
)

// NewRecord builds a record whose payload is v as JSON (no payload if v
// is nil): an operator action, a refused action, a linkage write or a
// system event.
func NewRecord(typ Type, user, action, subject, reason string, v any) (Record, error) {
	r := Record{Type: typ, User: user, Action: action, Subject: subject, Reason: reason}
	if v != nil {
		p, err := json.Marshal(v)
		if err != nil {
			return Record{}, fmt.Errorf("journal record %s %s: %w", action, subject, err)
		}
		r.Payload = p
	}
	return r, r.check()
}

// FromTransition returns the record of an alarm transition: type
// transition, user the acknowledging operator (or "engine"), action the
// change, subject the alarm's id, payload the transition. Its Time is left
// to the journal's clock (when it was recorded); the transition's own
// time is in the payload.
func FromTransition(t alarms.Transition) (Record, error) {
	user := "engine"
	if t.By != "" {
		user = t.By
	}
	return NewRecord(TypeTransition, user, t.Change.String(), t.ID, "", t)
}

// Transitions journals ts and returns once they are fsync'd, so a Journal
// is an alarms.Output.
func (j *Journal) Transitions(ctx context.Context, ts []alarms.Transition) error {
	recs := make([]Record, 0, len(ts))
	for _, t := range ts {
		r, err := FromTransition(t)
		if err != nil {
			return err
		}
		recs = append(recs, r)
	}
	_, err := j.Append(ctx, recs...)
	return err
}

var _ alarms.Output = (*Journal)(nil)
