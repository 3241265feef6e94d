// Package notify sends alarms to the monitoring centre and to duty phones:
// a real Alertmanager, webhooks, WeCom and DingTalk group robots and SMS
// gateways. It routes each alarm by severity, kind and area to receivers and
// to the people on duty, escalates unacknowledged alarms to the next duty
// level after 篇4·02PART·11, groups floods of one rule into one message,
// and delivers every message at least once through a durable outbox with
// one queue per receiver, so that one dead receiver never delays another.
package notify

import (
	"time"
)

// Event says why a message is sent.
type Event string

// Events.
const (
	// Firing: an alarm was raised (or a group of them, Count > 1).
	Firing Event = "firing"
	// Resolved: the alarm cleared (the recovery notice).
	Resolved Event = "resolved"
	// Escalation: nobody acknowledged before the deadline; Level says who.
	Escalation Event = "escalation"
	// Refresh: active alerts posted again to Alertmanager.
	Refresh Event = "refresh"
	// Heartbeat: the always-firing watchdog alert.
	Heartbeat Event = "heartbeat"
	// Test: facmon notify test.
	Test Event = "test"
	// Report: the daily or weekly report's summary and link (Announce).
	Report Event = "report"
)

// Alert is one alarm as messages show it.
type Alert struct {
	ID       string    `json:"id"`
	Rule     string    `json:"rule"`
	Site     string    `json:"site"`
	Area     string    `json:"area,omitempty"`
	Kind     string    `json:"kind,omitempty"`
	Device   string    `json:"device,omitempty"`
	Severity string    `json:"severity"`
	Message  string    `json:"message"`
	Cite     string    `json:"cite,omitempty"`
	Value    float64   `json:"value"`
	StartsAt time.Time `json:"starts_at"`
	// EndsAt is when the alarm cleared; zero while it is active.
	EndsAt time.Time `json:"ends_at,omitzero"`
	// ConsoleURL opens the alarm in the operator console.
	ConsoleURL string `json:"console_url,omitempty"`

	// What the site file calls the ids above, and the local times: what
	// messages show (names.go). Empty names are not in the site file.
	SiteName   string `json:"site_name,omitempty"`
	AreaName   string `json:"area_name,omitempty"`
	DeviceName string `json:"device_name,omitempty"`
	// Zone is the name of the alarm zone the device belongs to.
	Zone string `json:"zone,omitempty"`
	// Household is an in-home zone's household (篇3·十九·2).
	Household string `json:"household,omitempty"`
	// CameraURL is the zone's (or the device's) camera link.
	CameraURL string `json:"camera_url,omitempty"`
	// Action is what to do, from the rule's action: text.
	Action string `json:"action,omitempty"`
	// At and EndedAt are StartsAt and EndsAt in the site's time zone as
	// messages show them (12-07 04:47:10).
	At      string `json:"at,omitempty"`
	EndedAt string `json:"ended_at,omitempty"`
	// SeverityName is the severity in the message's language (紧急).
	SeverityName string `json:"severity_name,omitempty"`
}

// Person is who a message is for, when it is for someone.
type Person struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Lang  string `json:"lang,omitempty"`
}

// Message is one notification to one receiver. It is what the outbox
// stores and what the templates see.
type Message struct {
	// ID is the idempotency key: the same for every attempt and every
	// restart, so that receivers can drop duplicates.
	ID       string `json:"id"`
	Receiver string `json:"receiver"`
	Event    Event  `json:"event"`
	// Level is the escalation level, 1 for the first notice.
	Level int `json:"level,omitempty"`
	// Alerts are the alarms of the message: one, or a flood group.
	Alerts []Alert `json:"alerts"`
	// Count is len(Alerts), for templates.
	Count int `json:"count"`
	// Lang is the message's language: "zh" (the default) or "en", the
	// person's.
	Lang string `json:"lang,omitempty"`
	// To is the person addressed, if any.
	To *Person `json:"to,omitempty"`
	// AckURL is a signed, expiring, single-use link that acknowledges the
	// first alert as To.
	AckURL  string    `json:"ack_url,omitempty"`
	Created time.Time `json:"created"`
	// Expires, when set, drops the message unsent once passed (a stale
	// refresh or heartbeat is worth nothing).
	Expires time.Time `json:"expires,omitzero"`
}

// itoa formats a small int.
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
