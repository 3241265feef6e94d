package notify

import (
	"fmt"
	"time"
)

// TestMessage returns the message `facmon notify test` sends to receiver:
// one warning-level test alert of the site (names: its name and time
// zone; nil: ids and UTC), with a fresh id.
func TestMessage(siteID string, names *Names, receiver string, now time.Time) *Message {
	a := Alert{ID: fmt.Sprintf("facmon-test/%s/%d", receiver, now.UnixMilli()), Rule: "facmon-test", Site: siteID,
		Severity: "warning", Message: "facmon 测试消息，无需处理 / facmon test message, no action needed", StartsAt: now}
	names.describe(&a)
	return &Message{ID: msgID("test", receiver, fmt.Sprint(now.UnixNano())), Receiver: receiver, Event: Test,
		Alerts: []Alert{a}, Count: 1, Created: now}
}
