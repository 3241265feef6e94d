package boards

import (
	"fmt"

	g "facmon/dashboards/grafana"
)

var environmentKinds = []string{"room", "flood_sensor", "elevator_pit", "elevator", "bin", "door", "fan"}

// Environment and service shows equipment-room temperatures and flood
// sensors, elevators, bin fill levels with the 2/3 line and the time each
// bin spent over it.
func Environment(l Limits) *g.Dashboard {
	d := newInfluxBoard("facmon-environment", "facmon · Environment and service",
		"Equipment-room temperature, humidity and flooding; elevators; bin fill levels and time over 2/3.", environmentKinds)
	lay := g.NewLayout(d)
	lay.Row("Equipment rooms")
	lay.Add(12, 8, timeseries("Equipment-room temperature",
		fmt.Sprintf("Dashed line: the room-temperature alarm bound, %.0f °C (篇3·二·5).", l.RoomHot),
		"celsius", g.StepsFrom("green", g.At(l.RoomHot, "red")), g.InfluxTarget(series("mean", "temperature", "room", "none"), "$tag_name")))
	lay.Add(12, 8, timeseries("Equipment-room humidity", "Relative humidity.", "humidity", nil,
		g.InfluxTarget(series("mean", "humidity", "room", "none"), "$tag_name")))
	lay.Add(12, 8, timeline("Flood sensors", "Water on the floor of equipment rooms and in elevator pits.", onOff("dry", "WATER", "green", "red"),
		g.InfluxTarget(state("water", "flood_sensor"), "$tag_name"),
		g.InfluxTarget(state("water", "elevator_pit"), "$tag_name")))
	lay.Add(12, 8, elevatorTimeline())
	lay.Row("Bins")
	lay.Add(16, 9, timeseries("Bin fill levels",
		fmt.Sprintf("Fill level of every bin; dashed line at 2/3 (%.1f %%), where a bin must be emptied (篇2·垃圾滞留时间标准化·7).", l.BinFull),
		"percent", g.StepsFrom("green", g.At(l.BinFull, "red")), g.InfluxTarget(series("mean", "fill_level", "bin", "none"), "$tag_name")))
	lay.Add(8, 9, bargauge("Time over 2/3",
		"How long each bin was at or above 2/3 full in the time range (minute resolution).", "s",
		g.StepsFrom("green", g.At(3600, "red")), g.InfluxTarget(timeOver(l.BinFull), "$tag_name")))
	return d
}

func elevatorTimeline() *g.Panel {
	p := timeline("Elevators", "In service and fault of every elevator.", nil,
		g.InfluxTarget(state("in_service", "elevator"), "$tag_name in service"),
		g.InfluxTarget(state("fault", "elevator"), "$tag_name fault"))
	mapRef(p, "A", onOff("out of service", "in service", "orange", "green"))
	mapRef(p, "B", onOff("normal", "fault", "transparent", "red"))
	return p
}

// timeOver is the seconds each bin spent at or above the bound: the
// minutes whose last reading was there, times 60.
func timeOver(bound float64) string {
	return fmt.Sprintf(`SELECT count("fill") * 60 FROM (SELECT last("fill_level") AS "fill" FROM "bin" WHERE %s AND $timeFilter GROUP BY time(1m), "site", "device", "name" fill(previous)) WHERE "fill" >= %g AND $timeFilter GROUP BY "site", "device", "name"`,
		deviceFilter, bound)
}
