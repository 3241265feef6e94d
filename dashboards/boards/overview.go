package boards

import (
	"fmt"

	g "facmon/dashboards/grafana"
)

// activeAlarms is the latest state of every (rule, device) alarm series
// over the last 30 days, as a table; the panels keep the active ones.
// 30 days rather than the time range: an alarm raised before the range
// may still stand.
const activeAlarms = `SELECT last("state") AS "state", last("message") AS "message" FROM "alarm" WHERE ` + siteFilter +
	` AND time > now() - 30d GROUP BY "severity", "rule", "site", "device"`

// activePattern matches the alarm states that are still active;
// offlinePattern the device states that are not online.
const (
	activePattern  = "^active"
	offlinePattern = "^(offline|fault)$"
)

// deviceStatus is the latest status of every device (device_status
// measurement), as a table.
const deviceStatus = `SELECT last("status") AS "status" FROM "device_status" WHERE ` + deviceFilter +
	` AND time > now() - 30d GROUP BY "site", "device", "name", "kind"`

// Overview is site status at a glance: active alarms by severity, devices
// offline, mains and generator, tank levels, the last alarm.
func Overview(l Limits) *g.Dashboard {
	d := newInfluxBoard("facmon-overview", "facmon · Overview",
		"Site status at a glance: active alarms by severity, devices offline, mains/generator, tank levels, last alarm.", allKinds)
	lay := g.NewLayout(d)
	lay.Add(8, 6, severityStat())
	lay.Add(4, 6, offlineStat())
	lay.Add(12, 6, lastAlarmTable())
	lay.Add(12, 8, powerTimeline("Mains and generator"))
	lay.Add(12, 8, bargauge("Tank levels now", "Latest level of every tank: red below the domestic low bound or above the fire-water high bound.", "lengthm", tankColours(l),
		g.InfluxTarget(current("level", "water_tank"), "$tag_name")))
	lay.Add(24, 8, timeseries("Tank levels", "Level of every tank, with the rule pack's low and high alarm bounds.", "lengthm", tankSteps(l),
		g.InfluxTarget(series("mean", "level", "water_tank", "none"), "$tag_name")))
	lay.Add(12, 8, offlineTable())
	return d
}

// allKinds are the measurements the overview's device variable covers.
var allKinds = []string{"device_status"}

func severityStat() *g.Panel {
	p := stat("Active alarms by severity", "Alarms raised and not yet cleared, per severity (from the alarm measurement).", "none",
		g.StepsFrom("green", g.At(1, "red")), g.InfluxTable(activeAlarms))
	p.Transformations = []g.Transformation{merge(), filterActive("state", activePattern), countBy("severity", "rule")}
	p.Options["textMode"] = "value_and_name"
	p.Options["reduceOptions"] = map[string]any{"calcs": []string{"lastNotNull"}, "fields": "/count/", "values": true}
	p.FieldConfig.Defaults.NoValue = "0"
	return p
}

func offlineStat() *g.Panel {
	p := stat("Devices offline", "Devices whose collector last reported them offline or faulty.", "none",
		g.StepsFrom("green", g.At(1, "red")), g.InfluxTable(deviceStatus))
	p.Transformations = []g.Transformation{merge(), filterActive("status", offlinePattern)}
	p.Options["textMode"] = "value"
	p.Options["reduceOptions"] = map[string]any{"calcs": []string{"count"}, "fields": "/^status$/", "values": false}
	p.FieldConfig.Defaults.NoValue = "0"
	return p
}

func offlineTable() *g.Panel {
	p := table("Devices not online", "Every device whose latest status is offline or fault, and since when.", g.InfluxTable(deviceStatus))
	p.Transformations = []g.Transformation{merge(), filterActive("status", offlinePattern)}
	return p
}

func lastAlarmTable() *g.Panel {
	q := fmt.Sprintf(`SELECT "severity", "device", "rule", "message", "state" FROM "alarm" WHERE %s AND "change" = 'raise' AND $timeFilter ORDER BY time DESC LIMIT 5`, siteFilter)
	return table("Last alarms", "The five most recent alarms raised (newest first).", g.InfluxTable(q))
}

// tankSteps are the rule pack's tank bounds as lines: the domestic low
// bound (orange), the fire-water low and high bounds (red).
func tankSteps(l Limits) *g.Thresholds {
	return g.StepsFrom("green", g.At(l.DomesticTankLow, "orange"), g.At(l.FireTankLow, "red"), g.At(l.FireTankHigh, "red"))
}

// tankColours colour a tank's latest level: red below the lowest low
// bound and above the highest high bound. (Which bounds apply depends on
// the tank's purpose, which the tags do not carry; the lines show both.)
func tankColours(l Limits) *g.Thresholds {
	return g.StepsFrom("red", g.At(l.DomesticTankLow, "green"), g.At(l.FireTankHigh, "red"))
}

// powerTimeline shows mains presence, generator running and the transfer
// switch position as one state timeline: after the mains return the
// generator keeps running for its 3-minute run-on (篇3·十五·7) while the
// switch is back on the mains.
func powerTimeline(title string) *g.Panel {
	p := timeline(title, "Mains present, generator running and the transfer switch position (10 s steps: the 3-minute run-on after the mains return shows as the generator still running while the switch is back on mains).", nil,
		g.InfluxTarget(state("present", "mains"), "mains $tag_name"),
		g.InfluxTarget(state("running", "generator"), "generator $tag_name"),
		g.InfluxTarget(state("position", "transfer_switch"), "switch $tag_name"))
	mapRef(p, "A", onOff("lost", "present", "red", "green"))
	mapRef(p, "B", onOff("stopped", "running", "transparent", "orange"))
	mapRef(p, "C", []g.Mapping{g.ValueMap([3]string{"0", "mains", "green"}, [3]string{"1", "generator", "orange"}, [3]string{"2", "open", "red"})})
	return p
}
