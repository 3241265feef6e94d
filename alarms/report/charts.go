package report

import (
	"fmt"
	"html/template"
	"strconv"
)

// charts draws the page's SVG charts and picks the devices worth a row.
func (v *view) charts() {
	w := v.W
	var rows []bar
	for _, s := range v.Systems {
		b := bar{label: w.system(s.System), note: strconv.Itoa(s.Total)}
		for i, n := range s.BySeverity {
			b.segs = append(b.segs, seg{value: float64(n), class: "s" + strconv.Itoa(i)})
		}
		rows = append(rows, b)
	}
	v.SystemChart = barChart(w.BySystem, rows, 0)
	rows = nil
	for _, r := range v.Noisiest {
		rows = append(rows, bar{label: r.Rule, note: strconv.Itoa(r.Count), segs: []seg{{value: float64(r.Count), class: "s1"}}})
	}
	v.RuleChart = barChart(w.Noisiest, rows, 0)
	if v.Readings == nil {
		return
	}
	v.deviceRows()
	v.tankChart()
	v.meterCharts()
}

func (v *view) deviceRows() {
	var rows []bar
	for _, a := range v.Readings.Devices {
		if a.Known && a.Offline+a.Fault == 0 {
			v.OnlineAll++
			continue
		}
		v.Offline = append(v.Offline, a)
		if a.Offline+a.Fault > 0 {
			rows = append(rows, bar{label: v.Dev(a.Device), note: v.Minutes(a.Offline+a.Fault) + "min",
				segs: []seg{{value: a.Offline.Minutes(), class: "off"}, {value: a.Fault.Minutes(), class: "flt"}}})
		}
	}
	v.OfflineChart = barChart(v.W.Devices, rows, 0)
}

func (v *view) tankChart() {
	var rows []bar
	for _, t := range v.Readings.Tanks {
		if t.N == 0 {
			continue
		}
		rows = append(rows, bar{label: v.Dev(t.Device), note: fmt.Sprintf("%s–%s %s", v.Num(t.Min), v.Num(t.Max), t.Unit),
			segs: []seg{{from: t.Min, value: max(t.Max-t.Min, 0), class: "lvl"}}})
	}
	v.TankChart = barChart(v.W.Tanks, rows, 0)
}

// meterCharts draws one chart per unit: each meter's use, the period
// before and the week before.
func (v *view) meterCharts() {
	var units []string
	byUnit := map[string][]bar{}
	for _, m := range v.Readings.Meters {
		if _, ok := byUnit[m.Unit]; !ok {
			units = append(units, m.Unit)
		}
		series := []struct {
			u     Use
			label string
			class string
		}{{m.Use, v.Dev(m.Device), "cur"}, {m.Previous, "", "prev"}}
		if v.Period.Kind == KindDay {
			series = append(series, struct {
				u     Use
				label string
				class string
			}{m.WeekBefore, "", "wk"})
		}
		for _, s := range series {
			byUnit[m.Unit] = append(byUnit[m.Unit], bar{label: s.label, note: v.UseOf(s.u) + " " + m.Unit,
				segs: []seg{{value: s.u.Value, class: s.class}}})
		}
	}
	for _, u := range units {
		v.MeterCharts = append(v.MeterCharts, template.HTML(barChart(v.W.Meter+" ("+u+")", byUnit[u], 0)))
	}
}
