package site

import "slices"

// KindInfo is one device kind: its name in site files and InfluxDB (the
// measurement) and what it is.
type KindInfo struct {
	Name        string
	Description string
}

// Kinds are the device kinds a site file may use. The name is the InfluxDB
// measurement, so renaming one breaks dashboards: add, do not rename.
var Kinds = []KindInfo{
	{"water_tank", "water tank or cistern: domestic, fire make-up, underground fire-water (篇3·十六·3)"},
	{"pump", "pump: domestic supply, fire, booster, circulation"},
	{"valve", "valve or gate with a position or open/closed state (篇3·十四·3)"},
	{"sump", "sewage or drainage pit with its pumps and float switches (篇3·十四·7)"},
	{"fountain", "water feature: pool level and lift pump (篇3·十三·3)"},
	{"generator", "standby diesel generator (篇3·十五·7)"},
	{"mains", "mains supply: voltage, presence per phase"},
	{"transfer_switch", "automatic transfer switch between mains and generator"},
	{"ups", "uninterruptible power supply: on battery, battery low, runtime (篇3·十五·2)"},
	{"power_meter", "electricity meter of a circuit: kWh counter, kW (篇3·十五·1)"},
	{"water_meter", "water meter of a branch: volume counter, flow (篇3·十四·15)"},
	{"gas_meter", "gas meter: volume counter"},
	{"solar_inverter", "solar PV inverter: generation counter (篇3·二十六·1)"},
	{"lighting_circuit", "lighting circuit or controller: on/off state (篇3·十五·4)"},
	{"floodlight", "perimeter floodlight switched on alarm (篇3·二十二·1)"},
	{"perimeter_zone", "perimeter intrusion zone: fence, beam, wall section (篇3·二十二·3)"},
	{"home_alarm", "in-home alarm panel of a household (篇3·十九·1)"},
	{"fire_panel", "fire alarm control panel: alarm and fault outputs (篇3·十六·5)"},
	{"door", "door or gate with contact and held-open state (篇3·十七·3)"},
	{"access_controller", "access-control controller: online state, door events"},
	{"camera", "camera: video loss, online state (篇3·二十·10)"},
	{"nvr", "network video recorder: recording, disk health, retention in days (篇3·二十·9)"},
	{"intercom", "door or in-home intercom unit: line faults, online state (篇3·十八·2)"},
	{"room", "equipment room: temperature, humidity, flooding (篇3·二·5)"},
	{"flood_sensor", "water-ingress sensor on an equipment-room floor (篇3·二·2)"},
	{"elevator", "elevator controller: fault and in-service state"},
	{"elevator_pit", "elevator pit: water level or float alarm (篇3·二十四·1)"},
	{"fan", "ventilation or smoke-exhaust fan"},
	{"bin", "waste bin or waste station with a fill-level sensor (篇2·垃圾滞留时间标准化·7)"},
	{"plc", "PLC or controller supervised as a device of its own"},
	{"facmon", "facmon itself and its MQTT broker, as built-in devices: the pipeline's health for the self-check rules (篇3·二十二·6 系统自检)"},
	{"other", "anything else; prefer adding a kind"},
}

// KnownKind reports whether name is one of Kinds.
func KnownKind(name string) bool {
	return slices.ContainsFunc(Kinds, func(k KindInfo) bool { return k.Name == name })
}
