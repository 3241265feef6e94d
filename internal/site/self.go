package site

import (
	"net/url"
	"slices"
)

// The built-in devices of the self-check (篇3·二十二·6 系统自检): facmon's
// own pipeline and the MQTT broker it reads, with the signals
// collectors/selfcheck reports. Rules select them by kind "facmon".
const (
	SelfDevice   = "facmon"
	BrokerDevice = "mqtt-broker"
	SelfKind     = "facmon"
)

// Signals of the self-check devices.
const (
	SignalBrokerDropped = "dropped"        // mqtt-broker: messages the broker dropped in the last window
	SignalSpoolDropped  = "spool_dropped"  // facmon: spool records dropped (cap reached) in the last window
	SignalSpoolFill     = "spool_fill"     // facmon: spool size as % of its cap
	SignalInfluxDown    = "influx_down"    // facmon: seconds InfluxDB has been unreachable (0 when up)
	SignalJournalOK     = "journal_ok"     // facmon: 1 while the journal's chain verifies, 0 when broken
	SignalNotifyFailing = "notify_failing" // facmon: 1 while a receiver has failed longer than the critical escalation time
)

// AddSelf adds the self-check devices to s unless it names devices with
// their ids: "facmon", and "mqtt-broker" (named after the broker's
// address) when s has an MQTT broker. Run and check call it after loading,
// so the rules see them like any device.
func AddSelf(s *Site) {
	has := func(id string) bool {
		return slices.ContainsFunc(s.Devices, func(d Device) bool { return d.ID == id })
	}
	if !has(SelfDevice) {
		s.Devices = append(s.Devices, Device{ID: SelfDevice, Name: "facmon 自检", Kind: SelfKind, Labels: map[string]string{"part": "pipeline"}, Signals: []Signal{
			{Name: SignalSpoolDropped, Type: Analog, Unit: "records"},
			{Name: SignalSpoolFill, Type: Analog, Unit: "%"},
			{Name: SignalInfluxDown, Type: Analog, Unit: "s"},
			{Name: SignalJournalOK, Type: State},
			{Name: SignalNotifyFailing, Type: State},
		}})
	}
	if s.MQTT.URL != "" && !has(BrokerDevice) {
		s.Devices = append(s.Devices, Device{ID: BrokerDevice, Name: "MQTT 代理 " + brokerHost(s.MQTT.URL), Kind: SelfKind, Labels: map[string]string{"part": "broker"},
			Signals: []Signal{{Name: SignalBrokerDropped, Type: Analog, Unit: "messages"}}})
	}
}

// brokerHost is the host:port of a broker URL, or the URL.
func brokerHost(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return p.Host
	}
	return u
}
