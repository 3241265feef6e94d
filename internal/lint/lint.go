// Package lint finds what a valid site file and rule set would get wrong
// silently: devices no rule watches although the rules cover their kind,
// thresholds in another unit than the signal or out of its reach, MQTT
// devices nothing subscribes to, critical alarms with nowhere to go, rules
// that select nothing. The loaders (internal/site, alarms/rules) reject
// what cannot run; this package warns about what runs and never alarms.
// `facmon check` prints the warnings; --strict makes them errors.
package lint

import (
	"fmt"
	"sort"
	"strings"

	"facmon/alarms/rules"
	"facmon/internal/site"
)

// Warning is one finding, at a place in the site file or a rule file.
type Warning struct {
	// Pos is file:line:col of what the warning is about.
	Pos string
	Msg string
	// Hint says what to change.
	Hint string
}

// String prints the warning as `file:line:col: warning: message (hint)`.
func (w Warning) String() string {
	s := w.Pos + ": warning: " + w.Msg
	if w.Hint != "" {
		s += "; " + w.Hint
	}
	return s
}

// Check returns the warnings of a loaded site and its validated rules, in
// the order of the site file and then of the rule files. siteText is the
// site file's text, used to place warnings about top-level sections the
// site does not write; it may be nil.
func Check(s *site.Site, set *rules.Set, siteText []byte) []Warning {
	var ws []Warning
	ws = append(ws, unselectedDevices(s, set)...)
	ws = append(ws, thresholdUnits(s, set)...)
	ws = append(ws, mqttCoverage(s)...)
	ws = append(ws, notifyRoute(s, set, siteText)...)
	ws = append(ws, idleRules(s, set)...)
	return ws
}

func pos(file string, line, col int) string {
	if line == 0 {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, line, col)
}

func sitePos(p site.Pos) string { return pos(p.File, p.Line, p.Col) }

// watches reports whether r reads signals of the device (not only its
// health): a supervision rule watches every device of its kinds, which is
// not what "covered by the rules" means for a tank.
func watches(r *rules.Rule) bool { return r.Supervision == nil }

// kinds returns the kinds a selector names.
func kinds(sel *rules.Selector) []string {
	var out []string
	if sel.Kind != "" {
		out = append(out, sel.Kind)
	}
	return append(out, sel.Kinds...)
}

// unselectedDevices warns about each device of a kind some rule watches
// that no such rule selects, when the device looks meant for one of them
// (nearMiss: {system: fire} where the rule selects {purpose: fire}),
// naming the nearest selector. A device whose labels simply differ (a
// meter with circuit: pv where a rule watches circuit:
// landscape_lighting, a domestic valve beside the fire-valve rule) is left
// out on purpose and not reported.
func unselectedDevices(s *site.Site, set *rules.Set) []Warning {
	var ws []Warning
	for i := range s.Devices {
		d := &s.Devices[i]
		var candidates []*rules.Rule
		selected := false
		for _, r := range set.Rules {
			if !watches(r) || !containsKind(kinds(&r.Select), d.Kind) {
				continue
			}
			if r.Select.Matches(d) {
				selected = true
				break
			}
			if nearMiss(d, &r.Select) {
				candidates = append(candidates, r)
			}
		}
		if selected || len(candidates) == 0 {
			continue
		}
		near := nearest(d, candidates)
		ws = append(ws, Warning{
			Pos: sitePos(d.Pos),
			Msg: fmt.Sprintf("device %q (%s) is watched by no rule: rules select %s (%s, %s); this device has %s",
				d.ID, d.Kind, describe(&near.Select), near.Name, near.Pos, labelSet(d.Labels, d.Area)),
			Hint: "give the device the labels (or area) the rule selects, or write a rule for it",
		})
	}
	return ws
}

// nearMiss reports whether the device looks meant for the selector: a
// label value it selects sits under another key ({system: fire} for
// {purpose: fire}), or a key of the device is a misspelling of one it
// selects (purpse: fire).
func nearMiss(d *site.Device, sel *rules.Selector) bool {
	for k, v := range sel.Labels {
		if d.Labels[k] == v {
			continue
		}
		for dk, dv := range d.Labels {
			if dk != k && (dv == v || site.EditDistance(dk, k) <= 2) {
				return true
			}
		}
	}
	return false
}

func containsKind(ks []string, k string) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// nearest picks the rule whose selector differs least from the device: a
// label with the right value under another key counts half a match.
func nearest(d *site.Device, rs []*rules.Rule) *rules.Rule {
	best, bestScore := rs[0], -1
	for _, r := range rs {
		score := 0
		for k, v := range r.Select.Labels {
			if d.Labels[k] == v {
				score += 2
				continue
			}
			for _, dv := range d.Labels {
				if dv == v {
					score++
					break
				}
			}
		}
		if r.Select.Area != "" && r.Select.Area == d.Area {
			score += 2
		}
		if score > bestScore {
			best, bestScore = r, score
		}
	}
	return best
}

// describe prints what a selector asks for beyond the kind.
func describe(sel *rules.Selector) string {
	var parts []string
	if len(sel.Labels) > 0 {
		parts = append(parts, "labels "+mapString(sel.Labels))
	}
	if sel.Area != "" {
		parts = append(parts, "area "+sel.Area)
	}
	if sel.Device != "" {
		parts = append(parts, "device "+sel.Device)
	}
	if len(parts) == 0 {
		return "kind " + strings.Join(kinds(sel), ", ")
	}
	return strings.Join(parts, " and ")
}

func labelSet(labels map[string]string, area string) string {
	s := "no labels"
	if len(labels) > 0 {
		s = "labels " + mapString(labels)
	}
	return s + " in area " + area
}

// mapString prints a label map as a site file writes it: {a: b, c: d}.
func mapString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + m[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
