package boards

import (
	g "facmon/dashboards/grafana"
)

// VarInstance picks the facmon processes Prometheus scrapes.
const VarInstance = "instance"

// sel is the label selector of the chosen facmon instances.
const sel = `{instance=~"$instance"}`

// Facmon shows facmon's own health from its Prometheus metrics: points in,
// written, spooled and dropped; the spool; InfluxDB write latency; Modbus
// errors per device; MQTT reconnects.
func Facmon(Limits) *g.Dashboard {
	d := g.New("facmon-self", "facmon · facmon itself",
		"facmon's own health from its /metrics (Prometheus): ingest, InfluxDB writes and spool, Modbus and MQTT collectors.")
	inst := &g.Variable{Name: VarInstance, Label: "Instance", Type: "query", Datasource: g.Prometheus,
		Query: "label_values(facmon_points_accepted_total, instance)", Definition: "label_values(facmon_points_accepted_total, instance)",
		Refresh: 2, IncludeAll: true, Multi: true, Sort: 1,
		Current: &g.Current{Selected: true, Text: []string{"All"}, Value: []string{"$__all"}}, Options: []g.VariableValue{}}
	d.Templating.List = []*g.Variable{dsVar(g.PrometheusVar, "Prometheus", "prometheus"), inst,
		dsVar(g.InfluxVar, "InfluxDB (alarm annotations)", "influxdb"),
		tagVar(VarSite, "Site", `SHOW TAG VALUES WITH KEY = "site"`)}
	d.Annotations.List = append(d.Annotations.List, alarmAnnotation())
	lay := g.NewLayout(d)
	lay.Row("Points")
	lay.Add(12, 8, prom("Points in / written / dropped", "Points per second: collected (fan-out), accepted into the spool, written to InfluxDB, dropped by reason.", "pps",
		g.PromTarget(`sum by (instance) (rate(facmon_fanout_points_total`+sel+`[$__rate_interval]))`, "in {{instance}}"),
		g.PromTarget(`sum by (instance) (rate(facmon_points_accepted_total`+sel+`[$__rate_interval]))`, "accepted {{instance}}"),
		g.PromTarget(`sum by (instance) (rate(facmon_points_written_total`+sel+`[$__rate_interval]))`, "written {{instance}}"),
		g.PromTarget(`sum by (instance, reason) (rate(facmon_points_dropped_total`+sel+`[$__rate_interval]))`, "dropped {{reason}} {{instance}}")))
	lay.Add(12, 8, prom("Points spooled", "Points in the spool not yet written to InfluxDB: rises while InfluxDB is down, drains after.", "short",
		g.PromTarget(`facmon_points_spooled`+sel, "spooled {{instance}}")))
	lay.Row("Spool and InfluxDB")
	lay.Add(8, 8, prom("Spool bytes", "Size of the spool's segments on disk (capped by storage.spool.max_bytes).", "bytes",
		g.PromTarget(`facmon_spool_bytes`+sel, "{{instance}}"),
		g.PromTarget(`increase(facmon_spool_records_dropped_total`+sel+`[$__rate_interval])`, "records dropped by the cap {{instance}}")))
	lay.Add(8, 8, prom("Write latency", "InfluxDB write request duration: median and 99th percentile.", "s",
		g.PromTarget(`histogram_quantile(0.5, sum by (instance, le) (rate(facmon_write_duration_seconds_bucket`+sel+`[$__rate_interval])))`, "p50 {{instance}}"),
		g.PromTarget(`histogram_quantile(0.99, sum by (instance, le) (rate(facmon_write_duration_seconds_bucket`+sel+`[$__rate_interval])))`, "p99 {{instance}}")))
	lay.Add(8, 8, prom("InfluxDB up and write errors", "1 while the last write succeeded; write errors per second by kind.", "short",
		g.PromTarget(`facmon_influx_up`+sel, "up {{instance}}"),
		g.PromTarget(`sum by (instance, kind) (rate(facmon_write_errors_total`+sel+`[$__rate_interval]))`, "errors {{kind}} {{instance}}")))
	lay.Row("Collectors")
	lay.Add(12, 8, prom("Modbus errors per device", "Failed Modbus requests per second, by device and kind (timeout, exception, frame, …).", "reqps",
		g.PromTarget(`sum by (device, kind) (rate(facmon_modbus_errors_total`+sel+`[$__rate_interval]))`, "{{device}} {{kind}}")))
	lay.Add(12, 8, prom("MQTT reconnects", "Reconnections to the broker per interval, and whether facmon is connected now.", "short",
		g.PromTarget(`increase(facmon_mqtt_reconnects_total`+sel+`[$__rate_interval])`, "reconnects {{instance}}"),
		g.PromTarget(`facmon_mqtt_connected`+sel, "connected {{instance}}")))
	lay.Add(12, 8, prom("Modbus devices online", "1 while a device's last poll succeeded.", "short",
		g.PromTarget(`facmon_modbus_device_online`+sel, "{{device}}")))
	lay.Add(12, 8, prom("MQTT messages", "Messages received per second, and payloads that could not be decoded.", "short",
		g.PromTarget(`sum by (instance) (rate(facmon_mqtt_messages_received_total`+sel+`[$__rate_interval]))`, "received {{instance}}"),
		g.PromTarget(`sum by (instance) (rate(facmon_mqtt_payload_errors_total`+sel+`[$__rate_interval]))`, "payload errors {{instance}}")))
	return d
}

// prom is a time series over Prometheus.
func prom(title, desc, unit string, targets ...*g.Target) *g.Panel {
	p := timeseries(title, desc, unit, nil, targets...)
	p.Datasource = g.Prometheus
	return p
}
