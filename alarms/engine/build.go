package engine

import (
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"facmon/alarms"
	"facmon/alarms/rules"
	"facmon/collectors"
)

// device is one site device and the index of the instances watching it.
type device struct {
	id, name, area, kind string
	labels               map[string]string
	status               collectors.DeviceStatus
	// bySignal lists, per signal, the instances that read it.
	bySignal map[string][]watch
	// watchdogs are no_data_for instances: every point of the device
	// feeds them.
	watchdogs []*inst
	// process are the non-supervision instances, held back while the
	// device is offline.
	process []*inst
	// maint are the maintenance windows that select the device.
	maint []*rules.Maintenance
}

// watch is one instance reading a signal, as member m of its group.
type watch struct {
	inst   *inst
	member int
}

// online reports whether the device's collector last saw it healthy.
func (d *device) online() bool { return d.status == collectors.Online }

// build indexes set; old, if not nil, gives the state of unchanged rules
// and the devices' statuses.
func (e *Engine) build(set *rules.Set, old *Engine) {
	e.set, e.siteID, e.loc = set, set.Site.ID, set.Site.Location
	if e.loc == nil {
		e.loc = loadLocation(set.Site.Timezone)
	}
	e.devices = make(map[string]*device, len(set.Site.Devices))
	for _, sd := range set.Site.Devices {
		d := &device{id: sd.ID, name: sd.Name, area: sd.Area, kind: sd.Kind, labels: sd.Labels,
			bySignal: map[string][]watch{}}
		if old != nil && old.devices[sd.ID] != nil {
			d.status = old.devices[sd.ID].status
		}
		e.devices[sd.ID] = d
	}
	for _, m := range set.Maintenance {
		for _, id := range m.Devices {
			e.devices[id].maint = append(e.devices[id].maint, m)
		}
	}
	e.byKey = map[string]*inst{}
	for _, r := range set.Rules {
		e.addRule(r)
	}
}

// loadLocation returns the named zone, or UTC.
func loadLocation(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

// addRule creates the instances of r: one per device, or one for the
// group.
func (e *Engine) addRule(r *rules.Rule) {
	fp := fingerprint(r)
	if r.Select.All && len(r.Devices) > 1 {
		devs := make([]*device, len(r.Devices))
		for i, id := range r.Devices {
			devs[i] = e.devices[id]
		}
		e.addInst(r, fp, devs)
		return
	}
	for _, id := range r.Devices {
		e.addInst(r, fp, []*device{e.devices[id]})
	}
}

// addInst creates one instance over devs and indexes it.
func (e *Engine) addInst(r *rules.Rule, fp string, devs []*device) {
	ids := make([]string, len(devs))
	for i, d := range devs {
		ids[i] = d.id
	}
	in := &inst{rule: r, kind: kindOf(r), order: len(e.insts), dev: devs[0], label: strings.Join(ids, "+")}
	in.key = r.Name + "\x00" + in.label + "\x00" + fp
	if len(devs) > 1 {
		in.devs = devs
		in.MemberRaise = make([]bool, len(devs))
		in.MemberClear = make([]bool, len(devs))
	}
	e.insts = append(e.insts, in)
	e.byKey[in.key] = in
	for m, d := range devs {
		e.index(in, m, d)
	}
}

// index makes d's points reach in.
func (e *Engine) index(in *inst, m int, d *device) {
	r := in.rule
	switch {
	case in.kind == kindSupervision && r.Supervision.NoDataFor > 0:
		d.watchdogs = append(d.watchdogs, in)
		e.unarmed = append(e.unarmed, in)
		return
	case in.kind == kindSupervision && r.Supervision.Offline:
		d.bySignal[collectors.StatusSignal] = append(d.bySignal[collectors.StatusSignal], watch{in, m})
		return
	case in.kind != kindSupervision:
		d.process = append(d.process, in)
	}
	for _, ref := range r.Reads(d.id) {
		rd := e.devices[ref.Device]
		rd.bySignal[ref.Signal] = append(rd.bySignal[ref.Signal], watch{in, m})
	}
}

// fingerprint identifies a rule's definition, so a reload can tell an
// unchanged rule from a changed one.
func fingerprint(r *rules.Rule) string {
	b, _ := yaml.Marshal(r)
	h := fnv.New64a()
	h.Write(b)
	h.Write([]byte(strings.Join(r.Devices, ",")))
	return strconv.FormatUint(h.Sum64(), 16)
}

// hold returns the hold of an alarm of in raised at t: Maintenance when a
// maintenance window selecting the device is open.
func (e *Engine) hold(in *inst, t time.Time) alarms.Hold {
	lt := t.In(e.loc)
	m := lt.Hour()*60 + lt.Minute()
	for _, d := range append([]*device{in.dev}, in.devs...) {
		if slices.ContainsFunc(d.maint, func(w *rules.Maintenance) bool { return w.Contains(m) }) {
			return alarms.Maintenance
		}
	}
	return alarms.NotHeld
}

// Load replaces the rule set (hot reload). Instances whose rule and devices
// are unchanged keep their state and pending timers; alarms of removed or
// changed rules that are active are cleared at time now, and those
// transitions are returned.
func (e *Engine) Load(set *rules.Set, now time.Time) []alarms.Transition {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := &Engine{devices: e.devices, insts: e.insts, byKey: e.byKey}
	e.insts, e.timers, e.unarmed = nil, nil, nil
	e.build(set, old)
	for _, o := range old.insts {
		if n := e.byKey[o.key]; n != nil {
			n.State = o.State
			if !n.Due.IsZero() {
				e.schedule(n, n.Due)
			}
			continue
		}
		o.dead = true
		if o.Alarm.Active() {
			e.clear(o, now)
		}
	}
	return e.flush()
}
