package rules

import (
	"regexp"
	"strconv"
	"strings"
)

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// checkFile checks a parsed file for mistakes that need no site.
func checkFile(f *File, errs *errorList) {
	seen := map[string]Pos{}
	for i := range f.Rules {
		r := &f.Rules[i]
		ctx := ruleCtx(r, i)
		if p, dup := seen[r.Name]; dup && r.Name != "" {
			errs.Add(r.at("name"), "%s: name repeated (first at %s)", ctx, p)
		}
		seen[r.Name] = r.Pos
		checkRule(r, ctx, errs)
	}
	for i := range f.Maintenance {
		checkMaintenance(&f.Maintenance[i], i, errs)
	}
}

// ruleCtx names rule i in messages.
func ruleCtx(r *Rule, i int) string {
	if r.Name == "" {
		return "rules[" + strconv.Itoa(i) + "]"
	}
	return `rule "` + r.Name + `"`
}

// at returns where key was written, or the rule's start.
func (r *Rule) at(key string) Pos {
	if p, ok := r.At[key]; ok {
		return p
	}
	return r.Pos
}

// checkRule checks one rule's own fields.
func checkRule(r *Rule, ctx string, errs *errorList) {
	switch {
	case r.Name == "":
		errs.Add(r.Pos, "%s: name missing", ctx)
	case !namePattern.MatchString(r.Name):
		errs.Add(r.at("name"), "%s: name may hold only a-z, 0-9, '_', '-', '.'", ctx)
	}
	if r.Severity == 0 && !hasKey(r.At, "severity") {
		errs.Add(r.Pos, "%s: severity missing (critical, major, minor or warning)", ctx)
	}
	if strings.TrimSpace(r.Cite) == "" {
		errs.Add(r.at("cite"), "%s: cite missing: name the clause of the standard (e.g. 篇3·十六·3)", ctx)
	}
	if r.Select.empty() {
		errs.Add(r.at("select"), "%s: select: set at least one of device, kind, kinds, area, labels", ctx)
	}
	t, err := parseMessage(r.Name, r.Message)
	if err != nil {
		errs.Add(r.at("message"), "%s: message: %v", ctx, err)
	}
	r.Template = t
	if strings.TrimSpace(r.Todo) != "" {
		t, err := parseMessage(r.Name+".action", r.Todo)
		if err != nil {
			errs.Add(r.at("action"), "%s: action: %v", ctx, err)
		}
		r.TodoTemplate = t
	}
	checkSchedule(r.Schedule, ctx, errs)
	checkKind(r, ctx, errs)
}

// checkKind checks that exactly one kind block is set, and its parameters.
func checkKind(r *Rule, ctx string, errs *errorList) {
	n := count(r.Threshold != nil, r.State != nil, r.Supervision != nil, r.Sequence != nil,
		r.Deadline != nil, r.Consumption != nil)
	if n != 1 {
		errs.Add(r.Pos, "%s: want exactly one of threshold, state, supervision, sequence, deadline, consumption; got %d", ctx, n)
		return
	}
	needSignal := r.Supervision == nil && r.Sequence == nil
	switch {
	case needSignal && r.Signal == "":
		errs.Add(r.Pos, "%s: signal missing", ctx)
	case !needSignal && r.Signal != "":
		errs.Add(r.at("signal"), "%s: signal: not used by a %s rule", ctx, r.Kind())
	}
	kctx := ctx + ": " + r.Kind()
	switch {
	case r.Threshold != nil:
		checkThreshold(r.Threshold, kctx, errs)
	case r.State != nil:
		checkOne(r.State.Pos, kctx, "equals, changes_to", errs, r.State.Equals != nil, r.State.ChangesTo != nil)
	case r.Supervision != nil:
		checkSupervision(r.Supervision, kctx, errs)
	case r.Sequence != nil:
		checkSequence(r.Sequence, kctx, errs)
	case r.Deadline != nil:
		checkDeadline(r.Deadline, kctx, errs)
	case r.Consumption != nil:
		checkConsumption(r.Consumption, kctx, errs)
	}
}

// count returns how many of bs are true.
func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// checkOne reports unless exactly one of set holds.
func checkOne(p Pos, ctx, names string, errs *errorList, set ...bool) {
	if count(set...) != 1 {
		errs.Add(p, "%s: set exactly one of %s", ctx, names)
	}
}

func checkThreshold(t *Threshold, ctx string, errs *errorList) {
	checkOne(t.Pos, ctx, "above, below", errs, t.Above != nil, t.Below != nil)
	if t.Deadband < 0 {
		errs.Add(t.Pos, "%s: deadband: must not be negative", ctx)
	}
}

func checkSupervision(s *Supervision, ctx string, errs *errorList) {
	checkOne(s.Pos, ctx, "offline, no_data_for, line_fault", errs, s.Offline, s.NoDataFor > 0, s.LineFault != nil)
	if lf := s.LineFault; lf != nil {
		if lf.Signal == "" {
			errs.Add(lf.Pos, "%s.line_fault: signal missing", ctx)
		}
		if len(lf.Bits) == 0 {
			errs.Add(lf.Pos, "%s.line_fault: bits missing (e.g. {open: 0, short: 1, power_loss: 2})", ctx)
		}
		for name, b := range lf.Bits {
			if b < 0 || b > 52 {
				errs.Add(lf.Pos, "%s.line_fault: bit %q: %d out of range 0–52", ctx, name, b)
			}
		}
	}
}

func checkSequence(s *Sequence, ctx string, errs *errorList) {
	s.Mains = orDefault(s.Mains, "mains_ok")
	s.Running = orDefault(s.Running, "running")
	s.Transfer = orDefault(s.Transfer, "on_generator")
	need := map[Fault][]struct {
		name string
		d    Duration
	}{
		FailToStart:    {{"d1", s.D1}},
		FailToTransfer: {{"d2", s.D2}},
		RunOnTooLong:   {{"run_on", s.RunOn}},
		StoppedEarly:   {{"run_on", s.RunOn}},
	}
	params, ok := need[s.Fault]
	if !ok {
		errs.Add(s.Pos, "%s: fault %q unknown (want fail_to_start, fail_to_transfer, run_on_too_long or stopped_early)", ctx, s.Fault)
		return
	}
	for _, p := range params {
		if p.d <= 0 {
			errs.Add(s.Pos, "%s: %s missing: the %s check needs it", ctx, p.name, s.Fault)
		}
	}
	if s.Fault == StoppedEarly && s.Tolerance >= s.RunOn && s.RunOn > 0 {
		errs.Add(s.Pos, "%s: tolerance %s must be shorter than run_on %s", ctx, dur(s.Tolerance), dur(s.RunOn))
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func dur(d Duration) string { b, _ := d.MarshalText(); return string(b) }

func checkDeadline(d *Deadline, ctx string, errs *errorList) {
	checkOne(d.Pos, ctx, "above, below, equals", errs, d.Above != nil, d.Below != nil, d.Equals != nil)
	if d.Within <= 0 {
		errs.Add(d.Pos, "%s: within missing", ctx)
	}
}

func checkConsumption(c *Consumption, ctx string, errs *errorList) {
	checkOne(c.Pos, ctx, "above, below", errs, c.Above != nil, c.Below != nil)
	if c.Window <= 0 {
		errs.Add(c.Pos, "%s: window missing", ctx)
	}
	if c.Wrap < 0 {
		errs.Add(c.Pos, "%s: wrap must not be negative", ctx)
	}
}

// checkSchedule reports empty and overlapping windows of one rule.
func checkSchedule(ws []Window, ctx string, errs *errorList) {
	for i, w := range ws {
		if w.From == w.To {
			errs.Add(w.Pos, "%s: schedule: window %s–%s is empty", ctx, w.From, w.To)
		}
		for _, o := range ws[:i] {
			if overlap(w, o) {
				errs.Add(w.Pos, "%s: schedule: window %s–%s overlaps %s–%s (%s)", ctx, w.From, w.To, o.From, o.To, o.Pos)
			}
		}
	}
}

// overlap reports whether two daily windows share a minute.
func overlap(a, b Window) bool {
	for m := range 24 * 60 {
		if a.Contains(m) && b.Contains(m) {
			return true
		}
	}
	return false
}

// checkMaintenance checks a maintenance window's own fields.
func checkMaintenance(m *Maintenance, i int, errs *errorList) {
	ctx := `maintenance "` + m.Name + `"`
	if m.Name == "" {
		ctx = "maintenance[" + strconv.Itoa(i) + "]"
		errs.Add(m.Pos, "%s: name missing", ctx)
	}
	if strings.TrimSpace(m.Cite) == "" {
		errs.Add(m.Pos, "%s: cite missing", ctx)
	}
	if m.Select.empty() {
		errs.Add(m.Pos, "%s: select: set at least one of device, kind, kinds, area, labels", ctx)
	}
	if !hasKey(m.At, "from") || !hasKey(m.At, "to") {
		errs.Add(m.Pos, "%s: from and to are required", ctx)
	} else if m.From == m.To {
		errs.Add(m.Pos, "%s: window %s–%s is empty", ctx, m.From, m.To)
	}
}

func hasKey(m map[string]Pos, k string) bool { _, ok := m[k]; return ok }
