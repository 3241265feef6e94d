package roster

import (
	"slices"

	"facmon/internal/site"
)

// Plan is where one alarm goes.
type Plan struct {
	// Receivers get the alarm as such.
	Receivers []string
	// Duty: the shift's level 1, escalating.
	Duty bool
	// People are people or groups notified besides.
	People []string
}

// Router matches alarms against the site's routes.
type Router struct {
	routes []site.Route
}

// NewRouter returns the router of a checked notify section.
func NewRouter(n *site.Notify) *Router { return &Router{routes: n.Routes} }

// Match returns the plan for an alarm of severity on a device of kind in
// area: the first matching route, and those after it while routes say
// continue. Receivers and people are listed once each.
func (r *Router) Match(severity, kind, area string) Plan {
	var p Plan
	for _, rt := range r.routes {
		if !matches(rt.Severities, severity) || !matches(rt.Kinds, kind) || !matches(rt.Areas, area) {
			continue
		}
		p.Receivers = appendNew(p.Receivers, rt.Receivers...)
		p.People = appendNew(p.People, rt.People...)
		p.Duty = p.Duty || rt.Duty
		if !rt.Continue {
			break
		}
	}
	return p
}

// matches reports whether v is in list; an empty list matches anything.
func matches(list []string, v string) bool {
	return len(list) == 0 || slices.Contains(list, v)
}

// appendNew appends the values not already in s.
func appendNew(s []string, vs ...string) []string {
	for _, v := range vs {
		if !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	return s
}
