package site

import (
	"net/url"
	"slices"
	"strings"
)

// MQTT enumerations, as the site file writes them.
var (
	// MQTTSchemes are the broker URL schemes paho understands.
	MQTTSchemes = []string{"tcp", "ssl", "tls", "ws", "wss", "mqtt", "mqtts"}
	// Formats are the payload formats of a subscription.
	Formats = []string{"json", "plain", "influx"}
	// TopicParts are the named parts a subscription topic may hold, each as
	// a whole level.
	TopicParts = []string{"{device}", "{area}", "{signal}"}
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

// checkSubscription checks one subscription's topic pattern, format, QoS
// and fixed device and signal.
func (c *checker) checkSubscription(sub *Subscription, ctx string) {
	parts, ok := c.checkTopic(sub, "topic", sub.Topic, sub.Pos, ctx+": topic")
	switch {
	case sub.Format == "":
		if !c.unreported(sub, "format") {
			break
		}
		c.errf(sub.Pos, "%s: format missing (%s)", ctx, oneOf(Formats))
	case !slices.Contains(Formats, sub.Format):
		c.errf(c.at(sub, "format", sub.Pos), "%s: format %s unknown (want %s)", ctx, quote(sub.Format), oneOf(Formats))
	}
	if sub.QoS < 0 || sub.QoS > 2 {
		c.errf(c.at(sub, "qos", sub.Pos), "%s: qos %d out of range 0..2", ctx, sub.QoS)
	}
	if ok {
		c.checkFixedDevice(sub, parts, ctx)
	}
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

// checkTopic checks a topic pattern: named parts only as whole levels and
// at most once each, + only as a whole level, # only as the whole last
// level. It returns the named parts found, and whether the topic is
// usable. what names the topic in messages.
func (c *checker) checkTopic(owner any, key, topic string, start Pos, what string) (map[string]bool, bool) {
	if topic == "" {
		if c.unreported(owner, key) {
			c.errf(start, "%s missing", what)
		}
		return nil, false
	}
	parts := map[string]bool{}
	levels := strings.Split(topic, "/")
	for i, lv := range levels {
		if msg := topicLevelError(lv, i == len(levels)-1, parts); msg != "" {
			c.errf(c.at(owner, key, start), "%s: %s", what, msg)
			return parts, false
		}
	}
	return parts, true
}

// topicLevelError returns what is wrong with one topic level, or "".
func topicLevelError(lv string, last bool, parts map[string]bool) string {
	switch {
	case lv == "#":
		if !last {
			return "# only as the last level"
		}
	case strings.Contains(lv, "#"):
		return "# only as a whole level"
	case lv == "+":
	case strings.Contains(lv, "+"):
		return "+ only as a whole level"
	case strings.HasPrefix(lv, "{") && strings.HasSuffix(lv, "}"):
		if !slices.Contains(TopicParts, lv) {
			return lv + " unknown (want " + oneOf(TopicParts) + ")"
		}
		if parts[lv] {
			return lv + " twice"
		}
		parts[lv] = true
	case strings.ContainsAny(lv, "{}"):
		return "named parts like {device} only as a whole level"
	case strings.ContainsRune(lv, 0):
		return "NUL not allowed"
	}
	return ""
}

// checkDeviceMQTT checks a device's own MQTT block.
func (c *checker) checkDeviceMQTT(d *Device, ctx string) {
	m := d.MQTT
	if m == nil {
		return
	}
	ctx += ": mqtt"
	if m.Topic != "" {
		parts, ok := c.checkTopic(m, "topic", m.Topic, m.Pos, ctx+": topic "+quote(m.Topic))
		if ok && len(parts) > 0 {
			c.errf(c.at(m, "topic", m.Pos), "%s: topic of one device takes no named parts", ctx)
		}
	}
	if m.Format != "" && !slices.Contains(Formats, m.Format) {
		c.errf(c.at(m, "format", m.Pos), "%s: format %s unknown (want %s)", ctx, quote(m.Format), oneOf(Formats))
	}
	if c.site.MQTT.URL == "" {
		c.errf(m.Pos, "%s: block given but mqtt.url is empty", ctx)
	}
}
