package boards

import (
	"fmt"

	g "facmon/dashboards/grafana"
)

var securityKinds = []string{"perimeter_zone", "home_alarm", "fire_panel", "door", "floodlight", "camera", "access_controller"}

// securityAlarmKinds are the kinds whose alarms are zone or fire events.
const securityAlarmKinds = "perimeter_zone|home_alarm|door"

// Security and fire shows zone alarms and arming over time, fire-panel
// events and the periods devices were offline.
func Security(Limits) *g.Dashboard {
	d := newInfluxBoard("facmon-security", "facmon · Security and fire",
		"Zone alarm events and arming state, fire-panel events, floodlights, device offline periods.", securityKinds)
	lay := g.NewLayout(d)
	lay.Row("Intrusion")
	lay.Add(24, 9, zoneTimeline())
	lay.Add(12, 7, timeline("Arming state", "Armed or disarmed, per in-home alarm panel (篇3·十九·1).", onOff("disarmed", "armed", "blue", "green"),
		g.InfluxTarget(state("armed", "home_alarm"), "$tag_name")))
	lay.Add(12, 7, timeline("Floodlights", "Perimeter floodlights switched on by alarm linkage (篇3·二十二·1).", onOff("off", "on", "transparent", "yellow"),
		g.InfluxTarget(state("on", "floodlight"), "$tag_name")))
	lay.Add(12, 8, bars("Zone alarm events per hour", "Intrusion, home and door alarms raised per hour.", "none", nil,
		g.InfluxTarget(alarmCount(`"kind" =~ /^(`+securityAlarmKinds+`)$/`, "1h", `"kind"`), "$tag_kind")))
	lay.Add(12, 8, table("Zone alarm events", "Every raise, acknowledgement and clear of a zone, home or door alarm (newest first).",
		g.InfluxTable(alarmLog(`"kind" =~ /^(`+securityAlarmKinds+`)$/`))))
	lay.Row("Fire")
	lay.Add(12, 8, firePanelTimeline())
	lay.Add(12, 8, table("Fire-panel events", "Every alarm transition of the fire-alarm panels (newest first).",
		g.InfluxTable(alarmLog(`"kind" = 'fire_panel'`))))
	lay.Row("Devices")
	lay.Add(24, 10, offlineTimeline())
	return d
}

// alarmLog lists the transitions of alarms matching cond, newest first.
func alarmLog(cond string) string {
	return fmt.Sprintf(`SELECT "change", "severity", "device", "rule", "message", "by" FROM "alarm" WHERE %s AND %s AND $timeFilter ORDER BY time DESC LIMIT 500`,
		siteFilter, cond)
}

// alarmCount counts the raises of alarms matching cond per step, grouped
// by the given tags (none if empty).
func alarmCount(cond, step, by string) string {
	if cond != "" {
		cond = " AND " + cond
	}
	if by != "" {
		by = ", " + by
	}
	return fmt.Sprintf(`SELECT count("change") FROM "alarm" WHERE %s AND "change" = 'raise'%s AND $timeFilter GROUP BY time(%s)%s fill(0)`,
		siteFilter, cond, step, by)
}

func zoneTimeline() *g.Panel {
	p := timeline("Zone alarms", "Perimeter zones and in-home panels: alarm or normal.", onOff("normal", "alarm", "transparent", "red"),
		g.InfluxTarget(state("alarm", "perimeter_zone"), "$tag_name"),
		g.InfluxTarget(state("alarm", "home_alarm"), "$tag_name"))
	return p
}

func firePanelTimeline() *g.Panel {
	p := timeline("Fire panel", "Fire alarm, fault and supervisory outputs of the fire-alarm panels (篇3·十六·5).", nil,
		g.InfluxTarget(state("fire_alarm", "fire_panel"), "$tag_name fire"),
		g.InfluxTarget(state("fault", "fire_panel"), "$tag_name fault"),
		g.InfluxTarget(state("supervisory", "fire_panel"), "$tag_name supervisory"))
	mapRef(p, "A", onOff("normal", "FIRE", "transparent", "red"))
	mapRef(p, "B", onOff("normal", "fault", "transparent", "orange"))
	mapRef(p, "C", onOff("normal", "supervisory", "transparent", "yellow"))
	return p
}

// offlineTimeline shows every device's collector status; the offline and
// faulty periods stand out in red.
func offlineTimeline() *g.Panel {
	p := timeline("Device offline periods", "Online, offline or faulty, as the collectors reported each device.",
		[]g.Mapping{g.ValueMap([3]string{"online", "online", "green"}, [3]string{"offline", "offline", "red"}, [3]string{"fault", "fault", "orange"})},
		g.InfluxTarget(`SELECT last("status") FROM "device_status" WHERE `+deviceFilter+` AND $timeFilter GROUP BY time($__interval), "site", "device", "name" fill(previous)`, "$tag_name"))
	return p
}
