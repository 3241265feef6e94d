// Package mqttconf is the MQTT part of the site file's grammar: topic
// patterns (their parser, Compile, is the collector's), payload formats
// and QoS. It is the one check of those keys: `facmon check`
// (internal/site) reports its problems at their file:line:col and adds
// the cross-references (devices, signals), and the MQTT collector refuses
// a site with the same problems when it is built, as a Telegraf plugin's
// Init does. It takes plain values and knows nothing of YAML or positions,
// so that internal/site can call it without an import cycle.
package mqttconf

import (
	"errors"
	"slices"
	"strings"

	"facmon/collectors"
	"facmon/internal/yamlpos"
)

// Formats are the payload formats of a subscription or a device topic.
var Formats = []string{"json", "plain", "influx"}

// Problem and Problems are the collectors' grammar problems.
type (
	Problem  = collectors.Problem
	Problems = collectors.Problems
)

// Topic compiles a topic pattern for the check: the pattern, or the
// problem with key "topic" (what names the topic in the message: "topic"
// or `topic "a/b"`).
func Topic(topic, what string) (*Pattern, *Problem) {
	if topic == "" {
		return nil, &Problem{Key: "topic", Msg: what + " missing"}
	}
	p, err := Compile(topic)
	if err != nil {
		var pe *PatternError
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Msg
		}
		return nil, &Problem{Key: "topic", Msg: what + ": " + msg}
	}
	return p, nil
}

// CheckSubscription checks a subscription's topic pattern, format and
// QoS. The pattern is returned when it compiles (nil otherwise), for the
// cross-references.
func CheckSubscription(topic, format string, qos int) (*Pattern, Problems) {
	var ps Problems
	p, tp := Topic(topic, "topic")
	if tp != nil {
		ps = append(ps, *tp)
	}
	switch {
	case format == "":
		ps.Add("format", "format missing (%s)", oneOf(Formats))
	case !slices.Contains(Formats, format):
		ps.Add("format", "format %s unknown (want %s)", quote(format), oneOf(Formats))
	}
	if qos < 0 || qos > 2 {
		ps.Add("qos", "qos %d out of range 0..2", qos)
	}
	return p, ps
}

// CheckDeviceTopic checks a device's own topic (no named parts: it is one
// device's) and format (optional: json).
func CheckDeviceTopic(topic, format string) (*Pattern, Problems) {
	var ps Problems
	var p *Pattern
	if topic != "" {
		var tp *Problem
		p, tp = Topic(topic, "topic "+quote(topic))
		switch {
		case tp != nil:
			ps = append(ps, *tp)
		case p.Captures(PartArea) || p.Captures(PartDevice) || p.Captures(PartSignal):
			ps.Add("topic", "topic of one device takes no named parts")
			p = nil
		}
	}
	if format != "" && !slices.Contains(Formats, format) {
		ps.Add("format", "format %s unknown (want %s)", quote(format), oneOf(Formats))
	}
	return p, ps
}

// oneOf lists the allowed values in a message.
func oneOf(vals []string) string { return strings.Join(vals, ", ") }

// quote quotes a value as the site file's messages do.
func quote(s string) string { return yamlpos.Quote(s) }
