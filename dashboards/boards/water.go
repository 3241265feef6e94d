package boards

import (
	"fmt"

	g "facmon/dashboards/grafana"
)

var waterKinds = []string{"water_tank", "pump", "valve", "sump", "fountain", "water_meter", "elevator_pit"}

// Water shows tanks with their alarm bounds, pump run states, sump and pit
// levels, water consumption per branch per day and night flow.
func Water(l Limits) *g.Dashboard {
	d := newInfluxBoard("facmon-water", "facmon · Water",
		"Tanks with their alarm bounds, pumps, sumps and pits, water sub-meters and night flow.", waterKinds)
	d.Templating.List = append(d.Templating.List, tzVar())
	lay := g.NewLayout(d)
	lay.Row("Tanks and pumps")
	lay.Add(24, 9, timeseries("Tank levels",
		fmt.Sprintf("Level of every tank. Dashed lines: fire-water low %.2f m and high %.2f m, domestic low %.2f m (the rule pack's bounds).",
			l.FireTankLow, l.FireTankHigh, l.DomesticTankLow),
		"lengthm", tankSteps(l), g.InfluxTarget(series("mean", "level", "water_tank", "none"), "$tag_name")))
	lay.Add(24, 8, pumpTimeline())
	lay.Add(12, 8, timeseries("Pump current", "Motor current of every pump.", "amp", nil,
		g.InfluxTarget(series("mean", "current", "pump", "none"), "$tag_name")))
	lay.Add(12, 8, timeseries("Supply pressure", "Outlet pressure of the booster pumps.", "pressurekpa", nil,
		g.InfluxTarget(`SELECT mean("pressure") * 1000 FROM "pump" WHERE `+deviceFilter+` AND $timeFilter GROUP BY time($__interval), "site", "device", "name" fill(none)`, "$tag_name")))
	lay.Row("Sumps and pits")
	lay.Add(12, 8, timeseries("Sump levels", "Water level of the sump pits.", "lengthm", nil,
		g.InfluxTarget(series("mean", "level", "sump", "none"), "$tag_name")))
	lay.Add(12, 8, timeseries("Elevator-pit water level", "Water level in the elevator pits (篇3·二十四·1).", "lengthmm", nil,
		g.InfluxTarget(`SELECT mean("water_level") * 10 FROM "elevator_pit" WHERE `+deviceFilter+` AND $timeFilter GROUP BY time($__interval), "site", "device", "name" fill(none)`, "$tag_name")))
	lay.Row("Water meters")
	lay.Add(12, 8, bars("Consumption per branch per day", "m³ through each water sub-meter per local day (increase of its volume counter).", "m3", nil,
		g.InfluxTarget(perDay("volume", "water_meter", ""), "$tag_name")))
	lay.Add(12, 8, timeseries("Flow per branch",
		fmt.Sprintf("Flow through each sub-meter. Dashed line: the night-flow alarm bound, %.2f m³ in an hour between 01:00 and 05:00.", l.NightFlow),
		"m3", g.StepsFrom("green", g.At(l.NightFlow, "orange")), g.InfluxTarget(series("mean", "flow", "water_meter", "none"), "$tag_name")))
	lay.Add(24, 8, bars("Night flow: lowest hourly flow per day",
		"Minimum night flow: the lowest hourly mean flow of each local day, which falls in the night. A rising minimum means a leak (篇3·十四·15).",
		"m3", g.StepsFrom("green", g.At(l.NightFlow, "orange")), g.InfluxTarget(nightFlow(), "$tag_name")))
	return d
}

func pumpTimeline() *g.Panel {
	p := timeline("Pump run states", "Running or stopped: pumps, sump pumps and the fountain pump.", onOff("stopped", "running", "transparent", "green"),
		g.InfluxTarget(state("running", "pump"), "$tag_name"),
		g.InfluxTarget(state("pump_running", "sump"), "$tag_name"),
		g.InfluxTarget(state("pump_running", "fountain"), "$tag_name"))
	return p
}

// nightFlow is the lowest hourly mean flow per device and local day.
func nightFlow() string {
	return `SELECT min("hourly") FROM (SELECT mean("flow") AS "hourly" FROM "water_meter" WHERE ` + deviceFilter +
		` AND $timeFilter GROUP BY time(1h), "site", "device", "name" tz('${tz:raw}')) WHERE $timeFilter GROUP BY time(1d), "site", "device", "name" fill(none) tz('${tz:raw}')`
}
