package lifecycle

import (
	"sync"

	"facmon/alarms/rules"
)

// LatchLabel overrides, on a rule, whether its alarms latch: "true" or
// "false".
const LatchLabel = "latch"

// latchedSignals are the signals whose rules latch by default: the
// intrusion detector's alarm contact and the fire panel's fire alarm (the
// intrusion norm: alarms latch until a person resets them).
var latchedSignals = map[string]bool{IntrusionSignal: true, "fire_alarm": true}

// LatchedRules returns the Latched option for set: a rule latches when its
// label latch is "true", or, without the label, when it is not a
// supervision rule and watches an intrusion or fire-alarm signal.
func LatchedRules(set *rules.Set) func(rule string) bool {
	latched := map[string]bool{}
	for i := range set.Rules {
		r := set.Rules[i]
		switch r.Labels[LatchLabel] {
		case "true":
			latched[r.Name] = true
		case "false":
		default:
			latched[r.Name] = r.Supervision == nil && latchedSignals[r.Signal]
		}
	}
	return func(rule string) bool { return latched[rule] }
}

// LatchedFrom is LatchedRules over whichever set current returns (the
// engine's, which a reload replaces), recomputed when the set changes.
func LatchedFrom(current func() *rules.Set) func(rule string) bool {
	var mu sync.Mutex
	var set *rules.Set
	var f func(string) bool
	return func(rule string) bool {
		mu.Lock()
		defer mu.Unlock()
		if s := current(); s != set {
			set, f = s, LatchedRules(s)
		}
		return f(rule)
	}
}
