package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"facmon/internal/site"
)

// StateValue is the value a state or deadline rule compares with, written
// as a number (`equals: 1`) or as the name the site file gives that value
// in the signal's `states` (`equals: alarm`). Validate resolves a name to
// its number on every selected device; the engine reads only Value.
type StateValue struct {
	Value float64
	// Name is the state's name as written, "" when a number was written.
	Name string
}

// UnmarshalText reads a number or a state name.
func (s *StateValue) UnmarshalText(b []byte) error {
	t := strings.TrimSpace(string(b))
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		*s = StateValue{Value: f}
		return nil
	}
	if !namePattern.MatchString(t) {
		return fmt.Errorf("bad state %q: want a number or a state name of the signal (normal, alarm)", b)
	}
	*s = StateValue{Name: t}
	return nil
}

// MarshalText writes the name, or the number.
func (s StateValue) MarshalText() ([]byte, error) {
	if s.Name != "" {
		return []byte(s.Name), nil
	}
	return []byte(strconv.FormatFloat(s.Value, 'g', -1, 64)), nil
}

// String returns the state as written.
func (s StateValue) String() string { b, _ := s.MarshalText(); return string(b) }

// stateValues returns the rule's state values written as names.
func (r *Rule) stateValues() []*StateValue {
	var out []*StateValue
	switch {
	case r.State != nil:
		out = append(out, r.State.Equals, r.State.ChangesTo)
	case r.Deadline != nil:
		out = append(out, r.Deadline.Equals)
	}
	return slices.DeleteFunc(out, func(v *StateValue) bool { return v == nil || v.Name == "" })
}

// resolveStateNames sets the number of each state written as a name, from
// the `states` of the rule's signal on every selected device: each must
// name the state, with the same number.
func resolveStateNames(byID map[string]*site.Device, r *Rule, ctx string, errs *errorList) {
	for _, sv := range r.stateValues() {
		found := map[float64][]string{}
		for _, id := range r.Devices {
			sg, ok := byID[id].Signal(r.Signal)
			if !ok {
				continue // checkSignals reports it
			}
			n, ok := stateNumber(sg.States, sv.Name)
			if !ok {
				errs.Add(r.at(r.Kind()), "%s: device %q: signal %q has no state %q (states: %s)", ctx, id, r.Signal, sv.Name, stateList(sg.States))
				continue
			}
			found[n] = append(found[n], id)
		}
		if len(found) > 1 {
			errs.Add(r.at(r.Kind()), "%s: state %q stands for different values on the selected devices (%s)", ctx, sv.Name, valuesList(found))
		}
		for n := range found {
			sv.Value = n
		}
	}
}

// stateNumber returns the number whose name is name.
func stateNumber(states map[int]string, name string) (float64, bool) {
	for k, v := range states {
		if v == name {
			return float64(k), true
		}
	}
	return 0, false
}

func stateList(states map[int]string) string {
	if len(states) == 0 {
		return "none named"
	}
	keys := make([]int, 0, len(states))
	for k := range states {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", k, states[k])
	}
	return strings.Join(parts, ", ")
}

func valuesList(found map[float64][]string) string {
	var parts []string
	for n, ids := range found {
		parts = append(parts, fmt.Sprintf("%g on %s", n, strings.Join(ids, ", ")))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}
