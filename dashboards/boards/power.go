package boards

import (
	g "facmon/dashboards/grafana"
)

var powerKinds = []string{"mains", "generator", "transfer_switch", "power_meter", "solar_inverter", "ups", "lighting_circuit"}

// Power variables: the PV meter and the export price.
const (
	VarPV    = "pv_meter"
	VarPrice = "export_price"
)

// ExportPrice is the feed-in price of PV energy, yuan per kWh.
const ExportPrice = "0.43"

// Power shows mains, generator and transfer switch (with the 3-minute
// run-on), kW and kWh per circuit, PV generation and its export value,
// and the UPS.
func Power(Limits) *g.Dashboard {
	d := newInfluxBoard("facmon-power", "facmon · Power",
		"Mains, generator and transfer switch; kW and kWh per circuit; PV generation and its export value; UPS.", powerKinds)
	d.Templating.List = append(d.Templating.List, tzVar(), pvVar(),
		textVar(VarPrice, "Export price (yuan/kWh)", "Feed-in price of PV energy.", ExportPrice))
	lay := g.NewLayout(d)
	lay.Row("Supply")
	lay.Add(24, 8, powerTimeline("Mains / generator / transfer switch"))
	lay.Add(12, 8, timeseries("Mains voltage", "Phase voltages of the mains incomer.", "volt", nil,
		g.InfluxTarget(`SELECT mean("voltage_a") AS "A", mean("voltage_b") AS "B", mean("voltage_c") AS "C" FROM "mains" WHERE `+deviceFilter+
			` AND $timeFilter GROUP BY time($__interval), "site", "device", "name" fill(none)`, "$tag_name $col")))
	lay.Add(12, 8, timeseries("Generator output and fuel", "Generator power (kW) and fuel level (%).", "kwatt", nil,
		g.InfluxTarget(series("mean", "power", "generator", "none"), "$tag_name kW"),
		g.InfluxTarget(series("mean", "fuel_level", "generator", "none"), "$tag_name fuel %")))
	lay.Row("Circuits")
	lay.Add(12, 8, timeseries("Power per circuit", "Active power of every sub-meter but the PV meter.", "kwatt", nil,
		g.InfluxTarget(circuits(`SELECT mean("power") FROM "power_meter" WHERE %s AND $timeFilter GROUP BY time($__interval), "site", "device", "name" fill(none)`), "$tag_name")))
	lay.Add(12, 8, bars("Energy per circuit per day", "kWh per local day of every sub-meter but the PV meter.", "kwatth", nil,
		g.InfluxTarget(circuits(`SELECT spread("energy") FROM "power_meter" WHERE %s AND $timeFilter GROUP BY time(1d), "site", "device", "name" fill(none) tz('${tz:raw}')`), "$tag_name")))
	lay.Add(24, 7, timeline("Lighting circuits", "Contactor state of the lighting circuits (篇3·十五·4).", onOff("off", "on", "transparent", "yellow"),
		g.InfluxTarget(state("on", "lighting_circuit"), "$tag_name")))
	lay.Row("PV")
	lay.Add(12, 8, timeseries("PV generation", "Output of the PV meter.", "kwatt", nil,
		g.InfluxTarget(pv(`SELECT mean("power") FROM "power_meter" WHERE %s AND $timeFilter GROUP BY time($__interval), "site", "device", "name" fill(none)`), "$tag_name")))
	lay.Add(6, 8, stat("PV energy", "kWh the PV meter counted in the time range.", "kwatth", nil,
		g.InfluxTarget(pv(`SELECT spread("energy") FROM "power_meter" WHERE %s AND $timeFilter GROUP BY "site", "device", "name"`), "$tag_name")))
	lay.Add(6, 8, stat("PV export value", "PV energy in the time range at the export price (default 0.43 yuan/kWh).", "currencyCNY", nil,
		g.InfluxTarget(pv(`SELECT spread("energy") * ${export_price:raw} FROM "power_meter" WHERE %s AND $timeFilter GROUP BY "site", "device", "name"`), "$tag_name")))
	lay.Add(24, 8, bars("PV export value per day", "Yuan per local day: kWh generated × export price.", "currencyCNY", nil,
		g.InfluxTarget(pv(`SELECT spread("energy") * ${export_price:raw} FROM "power_meter" WHERE %s AND $timeFilter GROUP BY time(1d), "site", "device", "name" fill(none) tz('${tz:raw}')`), "$tag_name")))
	lay.Row("UPS")
	lay.Add(12, 8, upsTimeline())
	lay.Add(12, 8, timeseries("UPS battery", "Battery charge and load (%).", "percent", nil,
		g.InfluxTarget(series("mean", "battery_charge", "ups", "none"), "$tag_name charge"),
		g.InfluxTarget(series("mean", "load", "ups", "none"), "$tag_name load")))
	return d
}

// pvVar picks the PV meters: power meters whose id names PV or solar.
func pvVar() *g.Variable {
	v := tagVar(VarPV, "PV meter", `SHOW TAG VALUES FROM "power_meter" WITH KEY = "device" WHERE `+siteFilter)
	v.Regex = "/pv|solar/i"
	// All is the PV meters listed, (a|b): the circuits are the meters not
	// among them, so .* would leave no circuit.
	v.AllValue = ""
	v.Description = "The power meters of the PV plant (ids containing pv or solar)."
	return v
}

// circuits fills a power-meter query with the filter of every meter that
// is not a PV meter.
func circuits(q string) string {
	return fmtFilter(q, deviceFilter+` AND "device" !~ /^$pv_meter$/`)
}

// pv fills a power-meter query with the PV meter filter.
func pv(q string) string { return fmtFilter(q, siteFilter+` AND "device" =~ /^$pv_meter$/`) }

func upsTimeline() *g.Panel {
	p := timeline("UPS state", "On battery, battery low and fault of every UPS (篇3·十五·2).", nil,
		g.InfluxTarget(state("on_battery", "ups"), "$tag_name on battery"),
		g.InfluxTarget(state("battery_low", "ups"), "$tag_name battery low"),
		g.InfluxTarget(state("fault", "ups"), "$tag_name fault"))
	mapRef(p, "A", onOff("mains", "on battery", "green", "orange"))
	mapRef(p, "B", onOff("ok", "low", "green", "red"))
	mapRef(p, "C", onOff("ok", "fault", "green", "red"))
	return p
}
