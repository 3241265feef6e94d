package board

import (
	"encoding/json"
	"math"

	"facmon/alarms"
)

// finite returns &v, or nil (JSON null) for NaN and ±Inf, which JSON
// cannot carry: a float register can hold NaN, and one such value must not
// break the whole answer.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// MarshalJSON writes the alarm with non-finite values as null.
func (a Alarm) MarshalJSON() ([]byte, error) {
	type plain Alarm
	return json.Marshal(struct {
		plain
		Value      *float64 `json:"value"`
		RaiseValue *float64 `json:"raise_value"`
	}{plain(a), finite(a.Value), finite(a.RaiseValue)})
}

// wireTransition is a transition with a non-finite value written as null.
type wireTransition struct {
	alarms.Transition
	Value *float64 `json:"value"`
}

func wire(ts []alarms.Transition) []wireTransition {
	out := make([]wireTransition, len(ts))
	for i := range ts {
		out[i] = wireTransition{ts[i], finite(ts[i].Value)}
	}
	return out
}
