package boards

import (
	"fmt"

	g "facmon/dashboards/grafana"
)

// The group overview reads the central InfluxDB: site_status, which
// `facmon centre` writes per site on change and every minute (schema in
// docs/centre.md), and the alarm measurement every site writes through
// its own spool.

// siteStatusFilter selects the chosen sites' site_status points in the range.
const siteStatusFilter = `FROM "site_status" WHERE ` + siteFilter + ` AND $timeFilter`

// siteNow is the latest view of every chosen site (site id and name as
// tags), as a table.
const siteNow = `SELECT last("worst") AS "worst", last("active") AS "active", last("unacked") AS "unacked", ` +
	`last("online") AS "online", last("devices_offline") AS "devices_offline", last("devices_fault") AS "devices_fault" ` +
	siteStatusFilter + ` GROUP BY "site", "name"`

// perSite is the latest value of a site_status field per site.
func perSite(field string) string {
	return fmt.Sprintf(`SELECT last(%q) %s GROUP BY "site", "name"`, field, siteStatusFilter)
}

// perSiteOverTime is a site_status field per site on the interval, held
// until the next point (the centre writes on change).
func perSiteOverTime(field string) string {
	return fmt.Sprintf(`SELECT last(%q) %s GROUP BY time($__interval), "site", "name" fill(previous)`, field, siteStatusFilter)
}

// worstWords name the worst field's values (site_status: 4 critical … 0 none).
func worstWords() []g.Mapping {
	return []g.Mapping{g.ValueMap([3]string{"4", "Critical", "red"}, [3]string{"3", "Major", "orange"},
		[3]string{"2", "Minor", "yellow"}, [3]string{"1", "Warning", "blue"}, [3]string{"0", "None", "green"})}
}

// Group is the group monitoring centre's overview of every site: sites by
// worst active alarm, offline sites, and per-site KPIs — active and
// unacknowledged alarms, alarms per day, mean time to acknowledge,
// devices offline.
func Group(Limits) *g.Dashboard {
	d := g.New("facmon-group", "facmon · Group overview",
		"Every community at the group monitoring centre: sites by worst active alarm, offline sites, per-site alarm KPIs and devices offline.")
	d.Templating.List = []*g.Variable{
		dsVar(g.InfluxVar, "InfluxDB", "influxdb"),
		tagVar(VarSite, "Site", `SHOW TAG VALUES FROM "site_status" WITH KEY = "site"`),
		tzVar(),
	}
	d.Annotations.List = append(d.Annotations.List, alarmAnnotation())
	lay := g.NewLayout(d)
	lay.Add(6, 5, sumStat("Sites", "Sites the centre reported in the time range.", nil,
		`SELECT count("online") FROM (SELECT last("online") AS "online" `+siteStatusFilter+` GROUP BY "site")`))
	lay.Add(6, 5, sumStat("Sites offline now", "Sites whose heartbeat the centre last found silent (site-offline raised).",
		g.StepsFrom("green", g.At(1, "red")),
		`SELECT sum("offline") FROM (SELECT 1 - last("online") AS "offline" `+siteStatusFilter+` GROUP BY "site")`))
	lay.Add(6, 5, sumStat("Active alarms, all sites", "Alarms raised and not cleared at every chosen site, as the centre last saw them.",
		g.StepsFrom("green", g.At(1, "orange")),
		`SELECT sum("active") FROM (SELECT last("active") AS "active" `+siteStatusFilter+` GROUP BY "site")`))
	lay.Add(6, 5, sumStat("Devices offline, all sites", "Devices offline at every chosen site, from the sites' device status.",
		g.StepsFrom("green", g.At(1, "orange")),
		`SELECT sum("n") FROM (SELECT last("devices_offline") AS "n" `+siteStatusFilter+` GROUP BY "site")`))
	lay.Add(24, 10, sitesTable())
	lay.Add(24, 8, siteTimeline())
	lay.Row("Per-site KPIs")
	lay.Add(12, 8, siteBars("Active alarms per site", "Alarms raised and not cleared, per site (centre's view).", "active", g.StepsFrom("green", g.At(1, "orange"))))
	lay.Add(12, 8, siteBars("Unacknowledged alarms per site", "Alarms waiting for an acknowledgement, per site.", "unacked", g.StepsFrom("green", g.At(1, "red"))))
	lay.Add(12, 8, siteBars("Devices offline per site", "Devices whose last status is offline, per site.", "devices_offline", g.StepsFrom("green", g.At(1, "orange"))))
	lay.Add(12, 8, mttaPerSite())
	lay.Add(24, 8, bars("Alarms per day per site", "Alarms raised per local day at each site (the alarm measurement the sites write).", "none", nil,
		g.InfluxTarget(`SELECT count("change") FROM "alarm" WHERE `+siteFilter+` AND "change" = 'raise' AND $timeFilter GROUP BY time(1d), "site" fill(0) tz('${tz:raw}')`, "$tag_site")))
	lay.Add(24, 8, timeseries("Active and unacknowledged alarms over time", "Per site: alarms active and alarms waiting for an acknowledgement, as the centre saw them.", "none", nil,
		g.InfluxTarget(perSiteOverTime("active"), "$tag_name active"),
		g.InfluxTarget(perSiteOverTime("unacked"), "$tag_name unacknowledged")))
	return d
}

// sumStat is a single figure over the chosen sites.
func sumStat(title, desc string, th *g.Thresholds, q string) *g.Panel {
	p := stat(title, desc, "none", th, g.InfluxTarget(q, title))
	p.Options["textMode"] = "value"
	p.FieldConfig.Defaults.NoValue = "0"
	return p
}

// sitesTable lists the sites, the worst active alarm first.
func sitesTable() *g.Panel {
	p := table("Sites by worst active alarm", "Every chosen site with its worst active alarm, active and unacknowledged alarms, heartbeat and devices down, as the centre last wrote them; the worst first.",
		g.InfluxTable(siteNow))
	p.Transformations = []g.Transformation{merge(),
		{ID: "organize", Options: map[string]any{"excludeByName": map[string]any{"Time": true},
			"indexByName": map[string]any{"name": 0, "site": 1, "worst": 2, "active": 3, "unacked": 4, "online": 5, "devices_offline": 6, "devices_fault": 7}}},
		{ID: "sortBy", Options: map[string]any{"sort": []map[string]any{{"field": "worst", "desc": true}}}}}
	// Columns are named by overrides (matched by the field's own name,
	// which a rename would change), the coded ones coloured by their words.
	for _, c := range [][2]string{{"site", "Site id"}, {"name", "Site"}, {"worst", "Worst active alarm"}, {"active", "Active alarms"},
		{"unacked", "Unacknowledged"}, {"online", "Heartbeat"}, {"devices_offline", "Devices offline"}, {"devices_fault", "Devices faulty"}} {
		o := g.Override{Matcher: g.Matcher{ID: "byName", Options: c[0]}, Properties: []g.Property{{ID: "displayName", Value: c[1]}}}
		var m []g.Mapping
		switch c[0] {
		case "worst":
			m = worstWords()
		case "online":
			m = onOff("Offline", "Online", "red", "green")
		}
		if m != nil {
			o.Properties = append(o.Properties, g.Property{ID: "mappings", Value: m},
				g.Property{ID: "custom.cellOptions", Value: map[string]any{"type": "color-background"}})
		}
		p.FieldConfig.Overrides = append(p.FieldConfig.Overrides, o)
	}
	return p
}

// siteTimeline shows each site's heartbeat over time: offline sites and
// when they were.
func siteTimeline() *g.Panel {
	p := timeline("Sites online", "Each site's heartbeat as the centre saw it: red while the site was offline (heartbeat silent or the site's last-will).",
		onOff("Offline", "Online", "red", "green"), g.InfluxTarget(perSiteOverTime("online"), "$tag_name"))
	p.Interval, p.MaxDataPoints = "1m", 1440
	return p
}

// siteBars is a bar gauge of a site_status field per site.
func siteBars(title, desc, field string, th *g.Thresholds) *g.Panel {
	return bargauge(title, desc, "none", th, g.InfluxTarget(perSite(field), "$tag_name"))
}

func mttaPerSite() *g.Panel {
	return bargauge("Mean time to acknowledge per site", "Mean seconds from raise to acknowledgement at each site in the time range.", "s",
		g.StepsFrom("green", g.At(300, "orange"), g.At(900, "red")),
		g.InfluxTarget(`SELECT mean("active_seconds") FROM "alarm" WHERE `+siteFilter+` AND "change" = 'ack' AND $timeFilter GROUP BY "site"`, "$tag_site"))
}
