package lint

import (
	"bytes"
	"fmt"
	"strings"

	"facmon/alarms"
	"facmon/alarms/rules"
	"facmon/internal/site"
)

// mqttCoverage warns about an MQTT block with devices but no
// subscriptions (the broker connection then subscribes to nothing), and
// about each MQTT device that no subscription and no own topic covers.
func mqttCoverage(s *site.Site) []Warning {
	var devs []*site.Device
	for i := range s.Devices {
		if s.Devices[i].MQTT != nil {
			devs = append(devs, &s.Devices[i])
		}
	}
	if len(devs) == 0 {
		return nil
	}
	if len(s.MQTT.Subscriptions) == 0 {
		own := 0
		for _, d := range devs {
			if d.MQTT.Topic != "" {
				own++
			}
		}
		if own < len(devs) {
			return []Warning{{
				Pos: sitePos(s.MQTT.Pos),
				Msg: fmt.Sprintf("mqtt: no subscriptions, so %d MQTT device(s) (%s, …) never report", len(devs)-own, devs[0].ID),
				Hint: "add subscriptions, e.g. `subscriptions: [{topic: \"estate/{area}/+/{device}/{signal}\", qos: 1, format: plain}]` " +
					"(docs/mqtt.md), or give each device its own mqtt.topic",
			}}
		}
		return nil
	}
	var ws []Warning
	for _, d := range devs {
		if !covered(d, s.MQTT.Subscriptions) {
			ws = append(ws, Warning{
				Pos:  sitePos(d.MQTT.Pos),
				Msg:  fmt.Sprintf("device %q: no MQTT subscription covers it (none has {device} or device: %s) and it has no mqtt.topic", d.ID, d.ID),
				Hint: "add a subscription with {device} in its topic or `device: " + d.ID + "`, or set the device's mqtt.topic",
			})
		}
	}
	return ws
}

func covered(d *site.Device, subs []site.Subscription) bool {
	if d.MQTT.Topic != "" {
		return true
	}
	for _, sub := range subs {
		if sub.Device == d.ID || strings.Contains(sub.Topic, "{device}") {
			return true
		}
	}
	return false
}

// notifyRoute warns when the rules hold critical rules but no notify route
// takes critical alarms anywhere but the console.
func notifyRoute(s *site.Site, set *rules.Set, siteText []byte) []Warning {
	critical := 0
	for _, r := range set.Rules {
		if r.Severity == alarms.Critical {
			critical++
		}
	}
	if critical == 0 {
		return nil
	}
	for _, rt := range s.Notify.Routes {
		if len(rt.Receivers) == 0 && !rt.Duty && len(rt.People) == 0 {
			continue
		}
		if len(rt.Severities) == 0 || containsKind(rt.Severities, alarms.Critical.String()) {
			return nil
		}
	}
	p := sitePos(s.Notify.Pos)
	if s.Notify.Pos.Line == 0 {
		p = keyPos(s.Pos.File, siteText, "rules")
	}
	return []Warning{{
		Pos:  p,
		Msg:  fmt.Sprintf("the rules hold %d critical rule(s), but no notify route sends critical alarms anywhere: they reach only the console", critical),
		Hint: "add a notify: section with a receiver (type alertmanager, webhook, …) and a route with severities [critical] (docs/notify.md)",
	}}
}

// keyPos finds the line of a top-level key in the site file's text.
func keyPos(file string, text []byte, key string) string {
	for i, line := range bytes.Split(text, []byte("\n")) {
		if bytes.HasPrefix(line, []byte(key+":")) {
			return pos(file, i+1, 1)
		}
	}
	return file
}

// idleRules warns about rules that select no device although their
// selector is more than a kind: a label or area selection written for this
// site that matches nothing. A rule selecting only by kind idles by design
// where the site has no such device (a pack shared across communities);
// devices of a watched kind that such rules pass by are reported on the
// device instead (unselectedDevices).
func idleRules(s *site.Site, set *rules.Set) []Warning {
	var ws []Warning
	idle, _ := set.Idle()
	for _, r := range idle {
		if len(kinds(&r.Select)) > 0 {
			continue
		}
		ws = append(ws, Warning{
			Pos:  r.Pos.String(),
			Msg:  fmt.Sprintf("rule %s selects no device: no device of site %q has %s", r.Name, s.ID, describe(&r.Select)),
			Hint: "fix the selector or the devices' labels, or delete the rule",
		})
	}
	return ws
}
