package boards

import (
	"fmt"

	g "facmon/dashboards/grafana"
)

// alarmFilter selects the alarms of the chosen sites, areas and devices;
// alarms of a whole selection (both domestic tanks) have no area tag.
const alarmFilter = siteFilter + ` AND ("area" =~ /^$area$/ OR "area" = '') AND "device" =~ /^$device$/`

// kpiFilter selects the alarm KPIs facmon writes every minute (device
// "kpi" of the alarm measurement, alarms/lifecycle.KPI).
const kpiFilter = siteFilter + ` AND "device" = 'kpi'`

const chatterDesc = "Chattering alarms: a rule raising on one device more than 3 times within a minute (EEMUA 191, ISA-18.2 treat chattering as an alarm-system fault; the console groups their occurrences in one row). From the alarm KPIs facmon writes every minute."

// AlarmAnalytics shows the ISA-18.2 alarm-system KPIs over the alarm
// measurement: alarms per hour, per 10 minutes against the flood line,
// chattering alarms, the ten noisiest rules, standing alarms and the mean
// time to acknowledge.
func AlarmAnalytics(l Limits) *g.Dashboard {
	d := newInfluxBoard("facmon-alarm-analytics", "facmon · Alarm analytics",
		"ISA-18.2 alarm-system performance: alarm rate, floods, noisiest rules, standing alarms, time to acknowledge.", []string{"alarm"})
	flood := g.StepsFrom("green", g.At(l.AlarmFloodPer10m, "red"))
	lay := g.NewLayout(d)
	lay.Add(6, 6, stat("Alarms raised", "Alarms raised in the time range.", "none", nil,
		g.InfluxTarget(`SELECT count("change") FROM "alarm" WHERE `+alarmFilter+` AND "change" = 'raise' AND $timeFilter`, "raised")))
	lay.Add(6, 6, stat("Peak alarms in 10 minutes",
		fmt.Sprintf("Most alarms raised in one 10-minute period; over %g is an alarm flood for one operator (ISA-18.2).", l.AlarmFloodPer10m),
		"none", flood, g.InfluxTarget(peak10m(), "peak")))
	lay.Add(6, 6, mttaStat())
	lay.Add(6, 6, bargauge("Alarms by severity",
		"Alarms raised per severity in the time range. ISA-18.2 suggests about 80 % low, 15 % medium, 5 % high priority.", "none", nil,
		g.InfluxTarget(`SELECT count("change") FROM "alarm" WHERE `+alarmFilter+` AND "change" = 'raise' AND $timeFilter GROUP BY "severity"`, "$tag_severity")))
	lay.Add(24, 8, bars("Alarms per hour", "Alarms raised per hour, by severity (ISA-18.2 target: about 6 per hour, at most 12).", "none", nil,
		g.InfluxTarget(alarmsPer("1h", `"severity"`), "$tag_severity")))
	lay.Add(24, 8, bars("Alarms per operator per 10 minutes",
		fmt.Sprintf("Alarms raised per 10 minutes at the one control-room position. Dashed line: the flood line, %g per 10 minutes (ISA-18.2).", l.AlarmFloodPer10m),
		"none", flood, g.InfluxTarget(alarmsPer("10m", ""), "alarms per 10 min")))
	lay.Add(6, 8, stat("Chattering alarms (peak)", chatterDesc, "none", g.StepsFrom("green", g.At(1, "red")),
		g.InfluxTarget(`SELECT max("chattering") FROM "alarm" WHERE `+kpiFilter+` AND $timeFilter`, "chattering")))
	lay.Add(18, 8, timeseries("Chattering alarms", chatterDesc, "none", nil,
		g.InfluxTarget(`SELECT max("chattering") FROM "alarm" WHERE `+kpiFilter+` AND $timeFilter GROUP BY time($__interval) fill(none)`, "chattering")))
	lay.Add(12, 10, noisiestTable())
	lay.Add(12, 10, standingTable())
	lay.Add(24, 8, timeseries("Mean time to acknowledge per day", "Mean seconds from raise to acknowledgement, per day and severity.", "s", nil,
		g.InfluxTarget(`SELECT mean("active_seconds") FROM "alarm" WHERE `+alarmFilter+` AND "change" = 'ack' AND $timeFilter GROUP BY time(1d), "severity" fill(none)`, "$tag_severity")))
	return d
}

func alarmsPer(step, by string) string {
	if by != "" {
		by = ", " + by
	}
	return fmt.Sprintf(`SELECT count("change") FROM "alarm" WHERE %s AND "change" = 'raise' AND $timeFilter GROUP BY time(%s)%s fill(0)`, alarmFilter, step, by)
}

func peak10m() string {
	return `SELECT max("n") FROM (SELECT count("change") AS "n" FROM "alarm" WHERE ` + alarmFilter +
		` AND "change" = 'raise' AND $timeFilter GROUP BY time(10m) fill(0))`
}

func mttaStat() *g.Panel {
	p := stat("Mean time to acknowledge", "Mean seconds from raise to acknowledgement in the time range, per severity.", "s",
		g.StepsFrom("green", g.At(300, "orange"), g.At(900, "red")),
		g.InfluxTarget(`SELECT mean("active_seconds") FROM "alarm" WHERE `+alarmFilter+` AND "change" = 'ack' AND $timeFilter GROUP BY "severity"`, "$tag_severity"))
	return p
}

func noisiestTable() *g.Panel {
	q := `SELECT top("n", "rule", 10) AS "alarms" FROM (SELECT count("change") AS "n" FROM "alarm" WHERE ` + alarmFilter +
		` AND "change" = 'raise' AND $timeFilter GROUP BY "rule") WHERE $timeFilter`
	p := table("Ten noisiest rules", "The ten rules that raised the most alarms in the time range: the first candidates for tuning (delays, deadbands).",
		g.InfluxTable(q))
	p.Transformations = []g.Transformation{{ID: "organize", Options: map[string]any{"excludeByName": map[string]any{"Time": true}}},
		{ID: "sortBy", Options: map[string]any{"sort": []map[string]any{{"field": "alarms", "desc": true}}}}}
	return p
}

func standingTable() *g.Panel {
	q := `SELECT last("state") AS "state", last("message") AS "message", last("id") AS "id" FROM "alarm" WHERE ` + alarmFilter +
		` AND time > now() - 30d GROUP BY "severity", "rule", "site", "device"`
	p := table("Standing alarms", "Alarms active now (raised, not cleared), with their last transition. Raised more than 24 h ago makes an alarm stale (ISA-18.2).",
		g.InfluxTable(q))
	p.Transformations = []g.Transformation{merge(), filterActive("state", activePattern)}
	return p
}
