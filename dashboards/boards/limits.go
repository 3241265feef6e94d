package boards

import (
	"fmt"
	"path/filepath"

	"facmon/alarms/rules"
)

// Limits are the alarm bounds the dashboards draw as threshold lines.
// They come from the rule pack (seeds/rules), so a line sits exactly where
// the alarm is raised; changing a bound there and regenerating moves it.
type Limits struct {
	FireTankLow      float64 // fire-water-low, m (篇3·十六·3)
	FireTankHigh     float64 // fire-water-high, m
	DomesticTankLow  float64 // domestic-tank-low, m (篇3·十四·3)
	BinFull          float64 // bin-two-thirds-full, % (篇2·垃圾滞留时间标准化·7)
	RoomHot          float64 // room-temperature-high, °C (篇3·二·5)
	NightFlow        float64 // night-water-flow, m³ per hour (篇3·十四·15)
	AlarmFloodPer10m float64 // ISA-18.2: more than 10 alarms per 10 minutes per operator is a flood
}

// limitSources names the rule and bound each limit is read from.
var limitSources = []struct {
	rule  string
	above bool
	dst   func(*Limits) *float64
}{
	{"fire-water-low", false, func(l *Limits) *float64 { return &l.FireTankLow }},
	{"fire-water-high", true, func(l *Limits) *float64 { return &l.FireTankHigh }},
	{"domestic-tank-low", false, func(l *Limits) *float64 { return &l.DomesticTankLow }},
	{"bin-two-thirds-full", true, func(l *Limits) *float64 { return &l.BinFull }},
	{"room-temperature-high", true, func(l *Limits) *float64 { return &l.RoomHot }},
	{"night-water-flow", true, func(l *Limits) *float64 { return &l.NightFlow }},
}

// LimitsFromRules reads the limits from the rule files in dir
// (seeds/rules): every named rule must be there with its bound.
func LimitsFromRules(dir string) (Limits, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return Limits{}, err
	}
	var files []string
	for _, p := range paths {
		if filepath.Ext(p) == ".yaml" && !isTestFile(p) {
			files = append(files, p)
		}
	}
	parsed, err := rules.Load(files...)
	if err != nil {
		return Limits{}, err
	}
	byName := map[string]*rules.Rule{}
	for _, f := range parsed {
		for i := range f.Rules {
			byName[f.Rules[i].Name] = &f.Rules[i]
		}
	}
	l := Limits{AlarmFloodPer10m: 10}
	for _, s := range limitSources {
		r, ok := byName[s.rule]
		if !ok {
			return Limits{}, fmt.Errorf("%s: rule %q not found (the dashboards draw its bound)", dir, s.rule)
		}
		v, err := bound(r, s.above)
		if err != nil {
			return Limits{}, fmt.Errorf("%s: rule %q: %w", r.Pos, s.rule, err)
		}
		*s.dst(&l) = v
	}
	return l, nil
}

func isTestFile(p string) bool {
	m, _ := filepath.Match("*_test.yaml", filepath.Base(p))
	return m
}

// bound is a threshold or consumption rule's above or below bound.
func bound(r *rules.Rule, above bool) (float64, error) {
	var a, b *float64
	switch {
	case r.Threshold != nil:
		a, b = r.Threshold.Above, r.Threshold.Below
	case r.Consumption != nil:
		a, b = r.Consumption.Above, r.Consumption.Below
	default:
		return 0, fmt.Errorf("not a threshold or consumption rule")
	}
	v := b
	if above {
		v = a
	}
	if v == nil {
		return 0, fmt.Errorf("no %s bound", map[bool]string{true: "above", false: "below"}[above])
	}
	return *v, nil
}
