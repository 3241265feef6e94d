package site

import (
	"net/url"
	"slices"

	"facmon/collectors/mqtt/mqttconf"
)

// MQTT enumerations, as the site file writes them (formats and topic
// parts owned by the MQTT collector's grammar, collectors/mqtt/mqttconf).
var (
	// MQTTSchemes are the broker URL schemes paho understands.
	MQTTSchemes = []string{"tcp", "ssl", "tls", "ws", "wss", "mqtt", "mqtts"}
	// Formats are the payload formats of a subscription.
	Formats = mqttconf.Formats
	// TopicParts are the named parts a subscription topic may hold, each as
	// a whole level.
	TopicParts = mqttconf.TopicParts
)

// checkMQTT checks the broker URL and the subscriptions.
func (c *checker) checkMQTT() {
	m := &c.site.MQTT
	if m.URL != "" {
		c.checkURL(m, "url", m.URL, m.Pos, "mqtt", MQTTSchemes)
	} else if len(m.Subscriptions) > 0 {
		c.errf(m.Pos, "mqtt: url missing but subscriptions are defined")
	}
	for i := range m.Subscriptions {
		sub := &m.Subscriptions[i]
		c.checkSubscription(sub, "mqtt: "+label("subscription", sub.Topic, i))
	}
}

// checkURL checks that a URL parses, has a host and one of the schemes.
func (c *checker) checkURL(owner any, key, raw string, start Pos, ctx string, schemes []string) {
	p := c.at(owner, key, start)
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		c.errf(p, "%s: %s %s is not a URL like %s://host:port", ctx, key, quote(raw), schemes[0])
	case !slices.Contains(schemes, u.Scheme):
		c.errf(p, "%s: %s scheme %s unknown (want %s)", ctx, key, quote(u.Scheme), oneOf(schemes))
	}
}

// checkSubscription checks one subscription: its topic pattern, format
// and QoS by the MQTT grammar, then the device and signal it names.
func (c *checker) checkSubscription(sub *Subscription, ctx string) {
	p, ps := mqttconf.CheckSubscription(sub.Topic, sub.Format, sub.QoS)
	c.problems(sub, sub.Pos, ctx, ps)
	if p != nil {
		c.checkFixedDevice(sub, topicParts(p), ctx)
	}
}

// topicParts lists the named parts a pattern captures.
func topicParts(p *mqttconf.Pattern) map[string]bool {
	return map[string]bool{"{device}": p.Captures(mqttconf.PartDevice),
		"{area}": p.Captures(mqttconf.PartArea), "{signal}": p.Captures(mqttconf.PartSignal)}
}

// checkFixedDevice checks the device and signal a subscription names or
// takes from its topic.
func (c *checker) checkFixedDevice(sub *Subscription, parts map[string]bool, ctx string) {
	switch {
	case sub.Device != "" && parts["{device}"]:
		c.errf(c.at(sub, "device", sub.Pos), "%s: device given but the topic has {device}", ctx)
	case sub.Device == "" && !parts["{device}"] && sub.Topic != "":
		c.errf(sub.Pos, "%s: device missing: put {device} in the topic or give device", ctx)
	case sub.Device != "":
		d, ok := c.site.Device(sub.Device)
		if !ok {
			c.errf(c.at(sub, "device", sub.Pos), "%s: device %s not defined under devices", ctx, quote(sub.Device))
			break
		}
		if _, ok := d.Signal(sub.Signal); sub.Signal != "" && !ok {
			c.errf(c.at(sub, "signal", sub.Pos), "%s: device %s has no signal %s", ctx, quote(d.ID), quote(sub.Signal))
		}
	}
	if sub.Signal != "" && parts["{signal}"] {
		c.errf(c.at(sub, "signal", sub.Pos), "%s: signal given but the topic has {signal}", ctx)
	}
	if sub.Format == "plain" && sub.Signal == "" && !parts["{signal}"] && sub.Topic != "" {
		c.errf(sub.Pos, "%s: a plain payload needs {signal} in the topic or a signal", ctx)
	}
}

// checkDeviceMQTT checks a device's own MQTT block.
func (c *checker) checkDeviceMQTT(d *Device, ctx string) {
	m := d.MQTT
	if m == nil {
		return
	}
	ctx += ": mqtt"
	_, ps := mqttconf.CheckDeviceTopic(m.Topic, m.Format)
	c.problems(m, m.Pos, ctx, ps)
	if c.site.MQTT.URL == "" {
		c.errf(m.Pos, "%s: block given but mqtt.url is empty", ctx)
	}
}
