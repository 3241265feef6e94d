package lint

import (
	"fmt"
	"math"
	"slices"

	"facmon/alarms/rules"
	"facmon/internal/site"
)

// thresholdUnits warns, per selected device, about a threshold rule whose
// unit differs from the signal's, or whose bound the signal can never
// reach (percent is 0–100; a Modbus register's type and scale bound the
// rest).
func thresholdUnits(s *site.Site, set *rules.Set) []Warning {
	var ws []Warning
	byID := map[string]*site.Device{}
	for i := range s.Devices {
		byID[s.Devices[i].ID] = &s.Devices[i]
	}
	for _, r := range set.Rules {
		t := r.Threshold
		if t == nil {
			continue
		}
		for _, id := range r.Devices {
			d := byID[id]
			if d == nil {
				continue
			}
			i := slices.IndexFunc(d.Signals, func(sg site.Signal) bool { return sg.Name == r.Signal })
			if i < 0 {
				continue
			}
			if w, ok := unitWarning(r, d, &d.Signals[i]); ok {
				ws = append(ws, w)
			} else if w, ok := rangeWarning(r, d, &d.Signals[i]); ok {
				ws = append(ws, w)
			}
		}
	}
	return ws
}

func bound(t *rules.Threshold) (string, float64) {
	if t.Above != nil {
		return "above", *t.Above
	}
	if t.Below != nil {
		return "below", *t.Below
	}
	return "", 0
}

func unitWarning(r *rules.Rule, d *site.Device, sg *site.Signal) (Warning, bool) {
	t := r.Threshold
	if t.Unit == "" || sg.Unit == "" || t.Unit == sg.Unit {
		return Warning{}, false
	}
	dir, v := bound(t)
	return Warning{
		Pos: sitePos(sg.Pos),
		Msg: fmt.Sprintf("device %q: signal %q is in %q, but rule %s (%s) compares it in %q (%s %g)",
			d.ID, sg.Name, sg.Unit, r.Name, r.Pos, t.Unit, dir, v),
		Hint: fmt.Sprintf("scale the signal to %s (unit: %s, scale/offset from the raw value), or write the rule in %s", t.Unit, t.Unit, sg.Unit),
	}, true
}

func rangeWarning(r *rules.Rule, d *site.Device, sg *site.Signal) (Warning, bool) {
	lo, hi, ok := plausible(sg)
	if !ok {
		return Warning{}, false
	}
	dir, v := bound(r.Threshold)
	if (dir == "above" && v < hi) || (dir == "below" && v > lo) {
		return Warning{}, false
	}
	return Warning{
		Pos: sitePos(sg.Pos),
		Msg: fmt.Sprintf("device %q: signal %q (%s) stays within %g–%g, so rule %s (%s, %s %g) can never raise",
			d.ID, sg.Name, orNone(sg.Unit), lo, hi, r.Name, r.Pos, dir, v),
		Hint: "check the signal's unit and scale against the rule's",
	}, true
}

func orNone(u string) string {
	if u == "" {
		return "no unit"
	}
	return u
}

// plausible returns the range a signal's value can take: 0–100 for
// percent, and what its Modbus register can carry after scale and offset.
func plausible(sg *site.Signal) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if sg.Unit == "%" {
		lo, hi, ok = 0, 100, true
	}
	if sg.Modbus != nil {
		if rlo, rhi, rok := rawRange(sg.Modbus); rok {
			scale := 1.0
			if sg.Scale != nil {
				scale = *sg.Scale
			}
			a, b := rlo*scale+sg.Offset, rhi*scale+sg.Offset
			lo, hi, ok = math.Max(lo, math.Min(a, b)), math.Min(hi, math.Max(a, b)), true
		}
	}
	return lo, hi, ok
}

// rawRange is what a register type can hold.
func rawRange(r *site.Register) (float64, float64, bool) {
	if r.Bit != nil || r.Type == "bool" || r.Table == "coil" || r.Table == "discrete" {
		return 0, 1, true
	}
	switch r.Type {
	case "uint16":
		return 0, math.MaxUint16, true
	case "int16":
		return math.MinInt16, math.MaxInt16, true
	case "uint32":
		return 0, math.MaxUint32, true
	case "int32":
		return math.MinInt32, math.MaxInt32, true
	}
	return 0, 0, false
}
