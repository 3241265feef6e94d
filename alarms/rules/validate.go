package rules

import (
	"slices"

	"facmon/internal/site"
)

// Set is a validated set of rule files for one site: what the engine runs.
type Set struct {
	Site        *site.Site
	Rules       []*Rule
	Maintenance []*Maintenance
}

// Validate checks rules against the site: every device, kind, area and
// signal named must exist, rule names must be unique across files, and
// maintenance windows of one device must not overlap. It resolves each
// rule's and window's Devices. Every mistake is returned at once as Errors.
func Validate(files []*File, s *site.Site) (*Set, error) {
	errs := &errorList{}
	set := &Set{Site: s}
	byID := make(map[string]*site.Device, len(s.Devices))
	for i := range s.Devices {
		byID[s.Devices[i].ID] = &s.Devices[i]
	}
	seen := map[string]Pos{}
	for _, f := range files {
		for i := range f.Rules {
			r := &f.Rules[i]
			ctx := ruleCtx(r, i)
			if p, dup := seen[r.Name]; dup {
				errs.Add(r.at("name"), "%s: name repeated (first at %s)", ctx, p)
			}
			seen[r.Name] = r.at("name")
			r.Devices = selectDevices(s, byID, &r.Select, r.at("select"), ctx, errs)
			checkSignals(byID, r, ctx, errs)
			resolveStateNames(byID, r, ctx, errs)
			checkActions(byID, r, ctx, errs)
			set.Rules = append(set.Rules, r)
		}
		for i := range f.Maintenance {
			m := &f.Maintenance[i]
			m.Devices = selectDevices(s, byID, &m.Select, m.Pos, `maintenance "`+m.Name+`"`, errs)
			set.Maintenance = append(set.Maintenance, m)
		}
	}
	checkWindowOverlap(set.Maintenance, errs)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return set, nil
}

// selectDevices returns the ids of the devices sel matches, reporting
// unknown devices, kinds and areas and an empty selection.
func selectDevices(s *site.Site, byID map[string]*site.Device, sel *Selector, p Pos, ctx string, errs *errorList) []string {
	ok := true
	if sel.Device != "" && byID[sel.Device] == nil {
		errs.Add(p, "%s: select.device: device %q unknown", ctx, sel.Device)
		ok = false
	}
	for _, k := range append([]string{sel.Kind}, sel.Kinds...) {
		if k != "" && !site.KnownKind(k) {
			errs.Add(p, "%s: select: kind %q unknown", ctx, k)
			ok = false
		}
	}
	if sel.Area != "" && !slices.ContainsFunc(s.Areas, func(a site.Area) bool { return a.ID == sel.Area }) {
		errs.Add(p, "%s: select.area: area %q unknown", ctx, sel.Area)
		ok = false
	}
	var ids []string
	if d := byID[sel.Device]; d != nil && sel.Matches(d) {
		ids = []string{d.ID} // one device: no need to scan the site
	} else if sel.Device == "" {
		for i := range s.Devices {
			if sel.Matches(&s.Devices[i]) {
				ids = append(ids, s.Devices[i].ID)
			}
		}
	}
	if ok && len(ids) == 0 && sel.Kind == "" && len(sel.Kinds) == 0 && len(sel.Labels) == 0 && !sel.empty() {
		// A rule selecting a kind may sit idle on a site without that kind
		// (a pack shared across communities); one naming a device or an
		// area that selects nothing is a mistake.
		errs.Add(p, "%s: select matches no device", ctx)
	}
	return ids
}

// Matches reports whether the selector picks d.
func (sel *Selector) Matches(d *site.Device) bool {
	return (sel.Device == "" || sel.Device == d.ID) &&
		(sel.Kind == "" || sel.Kind == d.Kind) &&
		(len(sel.Kinds) == 0 || slices.Contains(sel.Kinds, d.Kind)) &&
		(sel.Area == "" || sel.Area == d.Area) &&
		hasLabels(d.Labels, sel.Labels) &&
		!sel.empty()
}

// hasLabels reports whether have holds every label of want.
func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// SignalRef is one (device, signal) a rule reads.
type SignalRef struct {
	Device, Signal string
}

// Reads returns what the rule reads when it watches device dev: usually
// signals of dev itself; for the generator sequence also the mains and
// transfer signals of the devices it names.
func (r *Rule) Reads(dev string) []SignalRef {
	switch {
	case r.Sequence != nil:
		s := r.Sequence
		return []SignalRef{{orDefault(s.MainsDevice, dev), s.Mains}, {dev, s.Running},
			{orDefault(s.TransferDevice, dev), s.Transfer}}
	case r.Supervision != nil && r.Supervision.LineFault != nil:
		return []SignalRef{{dev, r.Supervision.LineFault.Signal}}
	case r.Supervision != nil:
		return nil
	}
	return []SignalRef{{dev, r.Signal}}
}

// checkSignals reports devices and signals a rule reads that do not exist.
func checkSignals(byID map[string]*site.Device, r *Rule, ctx string, errs *errorList) {
	for _, id := range r.Devices {
		for _, ref := range r.Reads(id) {
			d := byID[ref.Device]
			if d == nil {
				errs.Add(r.at("sequence"), "%s: device %q unknown", ctx, ref.Device)
				continue
			}
			i := slices.IndexFunc(d.Signals, func(sg site.Signal) bool { return sg.Name == ref.Signal })
			if i < 0 {
				errs.Add(r.at("signal"), "%s: device %q has no signal %q", ctx, ref.Device, ref.Signal)
				continue
			}
			if r.Consumption != nil && d.Signals[i].Type != "" && d.Signals[i].Type != site.Counter {
				errs.Add(r.at("signal"), "%s: device %q: signal %q is %s, consumption needs a counter", ctx, ref.Device, ref.Signal, d.Signals[i].Type)
			}
		}
	}
}

// checkWindowOverlap reports maintenance windows that select a common
// device and share a minute of the day.
func checkWindowOverlap(ms []*Maintenance, errs *errorList) {
	for i, a := range ms {
		for _, b := range ms[:i] {
			common := slices.ContainsFunc(a.Devices, func(id string) bool { return slices.Contains(b.Devices, id) })
			if common && overlap(a.Window, b.Window) {
				errs.Add(a.Pos, "maintenance %q: window %s–%s overlaps maintenance %q %s–%s (%s) on a common device",
					a.Name, a.From, a.To, b.Name, b.From, b.To, b.Pos)
			}
		}
	}
}

// empty reports whether the selector names nothing.
func (sel *Selector) empty() bool {
	return sel.Device == "" && sel.Kind == "" && len(sel.Kinds) == 0 && sel.Area == "" && len(sel.Labels) == 0
}

// Idle returns the rules and maintenance windows of the set that select no
// device of its site (a kind the site lacks, labels no device carries):
// valid, but they can never raise or hold anything. `facmon rules test
// --site` reports them as errors.
func (s *Set) Idle() (idle []*Rule, maintenance []*Maintenance) {
	for _, r := range s.Rules {
		if len(r.Devices) == 0 {
			idle = append(idle, r)
		}
	}
	for _, m := range s.Maintenance {
		if len(m.Devices) == 0 {
			maintenance = append(maintenance, m)
		}
	}
	return idle, maintenance
}
