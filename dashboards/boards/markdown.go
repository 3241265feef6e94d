package boards

import (
	"fmt"
	"strconv"
	"strings"

	g "facmon/dashboards/grafana"
)

// docIntro opens docs/dashboards.md; the listing after it is generated
// from the same source as the JSON, so it always shows the queries that
// run.
const docIntro = `# Dashboards

facmon's Grafana dashboards live in ` + "`dashboards/`" + ` as JSON files that
Grafana provisions as they are (` + "`deploy/grafana/provisioning/dashboards/facmon.yaml`" + `
loads the folder; edits in the UI are not saved). They are generated from Go
(` + "`dashboards/boards`" + `, a small typed model in ` + "`dashboards/grafana`" + `):

` + "```" + `
go generate ./dashboards/      # rewrites dashboards/*.json and this page
go test ./dashboards/...       # fails if the JSON or this page drifted from the Go
` + "```" + `

## Conventions

- **InfluxQL only** (raw queries), so the same dashboards run on InfluxDB
  1.8, 2.x (through the DBRP mapping ` + "`deploy/influxdb/init.sh`" + ` makes) and 3.x. Schema:
  measurement = device kind, tags ` + "`site`, `area`, `device`" + `, one field per signal
  ([storage.md](storage.md)); device status in ` + "`device_status`" + `; alarm transitions in
  ` + "`alarm`" + ` ([alarm-api.md](alarm-api.md)).
- **Languages**: ` + "`dashboards/*.json`" + ` are Chinese (titles, descriptions,
  rows, variable labels, legends, value mappings such as 运行/停止 and 正常/报警),
  the operators' language; ` + "`dashboards/en/*.json`" + ` is the English variant
  (uids ending in ` + "`-en`" + `), generated from the same source with the same
  queries. The listing below is the English source; ` + "`boards/zh.go`" + ` holds the
  Chinese of every text, and generating fails on a text without it.
- **Names, not ids**: every point carries the tags ` + "`name`" + ` and ` + "`area_name`" + `
  (the site file's names, [storage.md](storage.md)); per-device queries
  group by ` + "`\"site\", \"device\", \"name\"`" + ` and their legends are ` + "`$tag_name`" + `.
  The site is in every per-device GROUP BY because the sites of a group
  write to one central InfluxDB and share device ids (generated sites
  all have a ` + "`pump-1`" + `): on All, grouping by device alone would merge
  their devices into one series (a mean of two sites' tanks, the last
  state of one site's alarm hiding another's).
- **Datasources are variables**: ` + "`DS_INFLUX`" + ` (type influxdb) and ` + "`DS_PROMETHEUS`" + `
  (type prometheus). No panel names a datasource uid.
- **Template variables** ` + "`site`, `area`, `device`" + ` (multi-value, with All) come
  from ` + "`SHOW TAG VALUES`" + `; every query filters with ` + "`=~ /^$var$/`" + `, so no site, area or
  device name is written into a dashboard. All stands for ` + "`.*`" + ` (the variable's
  allValue), not Grafana's default ` + "`(a|b|c)`" + ` of every value: at a group's
  central InfluxDB that list holds every site's, area's and device's id and
  grows with the group; ` + "`.*`" + ` stays one short regex. Picking several values
  gives ` + "`(a|b|c)`" + `. Alarm queries also accept alarms
  without an area (alarms over a whole selection, such as both domestic tanks).
- **Alarm annotations**: every dashboard has the annotation "Alarms" — each
  raise, acknowledgement and clear from the ` + "`alarm`" + ` measurement, with severity,
  rule and device as tags — on every time-series panel.
- **Alarm bounds as lines**: tank low/high, bins at 2/3, room temperature, night
  flow and the alarm-flood line are read from the rule pack (` + "`seeds/rules`" + `) when
  the dashboards are generated, so a line sits where the alarm is raised. The
  tags cannot tell a fire-water tank from a domestic one (purpose is a site-file
  label, not a tag), so the tank panels draw both sets of bounds.
- **State timelines** use ` + "`last()`" + ` with ` + "`fill(previous)`" + ` (` + "`last()`" + ` also reads the
  boolean fields of Modbus bit registers) and a 10 s minimum step with up to
  5000 points, so the generator's 3-minute run-on stays visible over a day.
- **Per-day figures** (kWh, m³, yuan) use ` + "`GROUP BY time(1d) tz('${tz:raw}')`" + `: the
  variable ` + "`tz`" + ` (default ` + "`Asia/Shanghai`" + `) is the site's time zone.
- **Current state** panels (active alarms, standing alarms, devices offline)
  look back 30 days (` + "`time > now() - 30d`" + `) instead of the time range: an alarm
  raised or a device lost before the range may still stand.
- **Group overview** (` + "`group.json`" + `, the group monitoring centre,
  [centre.md](centre.md)): reads ` + "`site_status`" + `, which ` + "`facmon centre`" + ` writes per site
  on change and every minute (heartbeat, worst active severity 4 critical …
  0 none, active and unacknowledged alarms, devices offline and faulty),
  and the ` + "`alarm`" + ` measurement the sites write (alarms per day, mean time to
  acknowledge per site). Its ` + "`site`" + ` variable lists the sites the centre
  writes; legends are the site's name in centre.yaml (` + "`$tag_name`" + ` of
  ` + "`site_status`" + `) or its id for the alarm measurement, which has no site name.
- **Arming**: facmon does not store the arming of perimeter zones in InfluxDB
  (yet); "Arming state" shows the ` + "`armed`" + ` signal of the in-home alarm panels.
- **PV**: the variable ` + "`pv_meter`" + ` picks the power meters whose id contains ` + "`pv`" + `
  or ` + "`solar`" + `; the other meters are the circuits. The export value is the kWh
  counted × ` + "`export_price`" + ` (default 0.43 yuan/kWh).

## Tests

- ` + "`TestCommittedJSONMatchesSource`" + ` (dashboards/boards): the JSON files and this
  page are what the Go generates.
- ` + "`TestEveryPanelHasData`" + ` (dashboards/check): a real InfluxDB 1.8.10 is filled with
  a simulated day of a group of two communities — the demo site and a copy
  of it under another id, its scenarios an hour later and its heartbeat
  silent for an hour — (the simulator's world stepped on a
  fake clock with its scenarios — two mains outages, a tank draining, an
  intrusion, a fire alarm, unplugged devices, bins filling, a flood — plus a
  fire-panel fault, a door held open, an elevator fault, a hot room; the real alarm
  engine on those points with an operator acknowledging; everything written
  through the spooled writer and the alarm output; ` + "`site_status`" + ` computed and
  encoded by alarms/centre's own code from each site's alarms as the
  centre's board holds them, through the same writer). Every variable, panel and
  annotation query then runs with the variables resolved and ` + "`$timeFilter`" + `,
  ` + "`$__interval`" + ` substituted as Grafana does: with every variable on All (` + "`.*`" + `),
  with every value picked (` + "`(a|b)`" + `) and with one site selected; each must
  answer rows. Over both sites, a query that
  groups by device must group by site too, and one that groups by site
  must answer for both sites. It also checks the
  power timeline shows the generator running 3 minutes after the mains
  return, at the step Grafana uses for a whole day.
- ` + "`TestDashboardMetricsExist`" + ` (dashboards/check): builds and runs ` + "`facmon run`" + ` on a
  site with Modbus devices (one answering with exceptions) and MQTT (broker
  restarted once), scrapes ` + "`/metrics`" + ` and checks every metric and label the
  "facmon itself" dashboard uses.
- ` + "`TestGrafanaSchema`" + ` (dashboards/check): every file decodes strictly against
  Grafana's own schema (the Grafana Foundation SDK's generated types with the
  core panel plugins' options): no unknown, missing or mistyped key.
- Lint tests on the JSON: datasources only through the variables, InfluxQL
  rules (raw, time filter, steps, fill), variables defined, the alarm
  annotation present, no name of the demo site anywhere.

## Listing
`

// Markdown renders docs/dashboards.md: the intro and, for every
// dashboard, its variables, annotation and panels with their queries.
func Markdown(ds []*g.Dashboard) []byte {
	var b strings.Builder
	b.WriteString(docIntro)
	for i, d := range ds {
		writeDashboard(&b, builders[i].name, d)
	}
	return []byte(b.String())
}

func writeDashboard(b *strings.Builder, file string, d *g.Dashboard) {
	fmt.Fprintf(b, "\n### %s\n\n`dashboards/%s`, uid `%s`. %s\n\n", d.Title, file, d.UID, d.Description)
	b.WriteString("Variables:\n\n")
	for _, v := range d.Templating.List {
		switch v.Type {
		case "datasource":
			fmt.Fprintf(b, "- `%s`: datasource of type %s\n", v.Name, v.Query)
		case "textbox":
			fmt.Fprintf(b, "- `%s`: text, default `%s`\n", v.Name, v.Query)
		default:
			fmt.Fprintf(b, "- `%s`: `%s`%s\n", v.Name, v.Query, regexNote(v.Regex))
		}
	}
	for _, a := range d.Annotations.List {
		if a.Target != nil {
			fmt.Fprintf(b, "\nAnnotation \"%s\" (title `%s`, text `%s`, tags `%s`):\n\n```sql\n%s\n```\n",
				a.Name, a.Target.TitleColumn, a.Target.TextColumn, a.Target.TagsColumn, a.Target.Query)
		}
	}
	b.WriteString("\nPanels:\n")
	n := 0
	for _, p := range d.Panels {
		if p.Type == "row" {
			fmt.Fprintf(b, "\n**%s**\n", p.Title)
			continue
		}
		n++
		writePanel(b, n, p)
	}
}

func regexNote(re string) string {
	if re == "" {
		return ""
	}
	return ", values matching `" + re + "`"
}

func writePanel(b *strings.Builder, n int, p *g.Panel) {
	fmt.Fprintf(b, "\n%d. **%s** (%s", n, p.Title, p.Type)
	if u := p.FieldConfig.Defaults.Unit; u != "" {
		fmt.Fprintf(b, ", unit %s", u)
	}
	if s := thresholdNote(p); s != "" {
		fmt.Fprintf(b, ", %s", s)
	}
	fmt.Fprintf(b, "). %s\n", p.Description)
	for _, t := range p.Targets {
		q, lang := t.Query, "sql"
		if t.Expr != "" {
			q, lang = t.Expr, "promql"
		}
		fmt.Fprintf(b, "\n   ```%s\n   %s\n   ```\n", lang, q)
	}
	for _, tr := range p.Transformations {
		fmt.Fprintf(b, "\n   then %s\n", describeTransformation(tr))
	}
}

// thresholdNote lists the threshold values a panel draws or colours by.
func thresholdNote(p *g.Panel) string {
	th := p.FieldConfig.Defaults.Thresholds
	if th == nil {
		return ""
	}
	var vals []string
	for _, s := range th.Steps {
		if s.Value != nil {
			vals = append(vals, strconv.FormatFloat(*s.Value, 'g', -1, 64))
		}
	}
	if len(vals) == 0 {
		return ""
	}
	what := "thresholds"
	if p.FieldConfig.Defaults.Custom["thresholdsStyle"] != nil {
		what = "dashed lines at"
	}
	return what + " " + strings.Join(vals, ", ")
}

// describeTransformation says in words what a Grafana transformation does.
func describeTransformation(t g.Transformation) string {
	switch t.ID {
	case "merge":
		return "the series are merged into one table"
	case "filterByValue":
		f := t.Options["filters"].([]map[string]any)[0]
		re := f["config"].(map[string]any)["options"].(map[string]any)["value"]
		return fmt.Sprintf("rows whose `%s` matches `%v` are kept", f["fieldName"], re)
	case "groupBy":
		return "rows are counted per severity"
	case "organize":
		return "the time column is hidden"
	case "sortBy":
		return "rows are sorted by alarm count, most first"
	}
	return t.ID
}
