package notify

import (
	"fmt"

	"facmon/internal/site"
)

// words are the fixed texts of messages in one language.
type words struct {
	severity  map[string]string
	alarm     string // "{severity}告警"
	escalated string // "无人确认，已升级至第%d级"
	smsEsc    string // the same, shorter
	resolved  string
	heartbeat string
	test      string
	report    string
	place     string
	time      string
	endedAt   string
	household string
	action    string
	clause    string
	camera    string
	console   string
	ack       string
	more      string // "另有%d条"
	colon     string
	sep       string // between place and message
}

// zh and en are the two languages of messages.
var (
	zh = &words{
		severity: map[string]string{"critical": "紧急", "major": "重要", "minor": "次要", "warning": "提示"},
		alarm:    "%s告警", escalated: "无人确认，已升级至第%d级", smsEsc: "无人确认，升至第%d级", resolved: "已恢复",
		heartbeat: "通知链路心跳", test: "测试消息，无需处理", report: "运行报告",
		place: "位置", time: "时间", endedAt: "恢复", household: "住户", action: "处置", clause: "依据",
		camera: "摄像头", console: "控制台", ack: "确认", more: "另有%d条", colon: "：", sep: "：",
	}
	en = &words{
		severity: map[string]string{"critical": "Critical", "major": "Major", "minor": "Minor", "warning": "Warning"},
		alarm:    "%s alarm", escalated: "not acknowledged, escalated to level %d", smsEsc: "escalated L%d", resolved: "Resolved",
		heartbeat: "notification heartbeat", test: "test message, no action needed", report: "report",
		place: "Place", time: "Time", endedAt: "cleared", household: "Household", action: "Action", clause: "Clause",
		camera: "Camera", console: "Console", ack: "Acknowledge", more: "%d more", colon: ": ", sep: ": ",
	}
)

// wordsOf returns the words of a language; Chinese unless "en".
func wordsOf(lang string) *words {
	if lang == site.LangEn {
		return en
	}
	return zh
}

// sev names a severity; an unknown one is left as it is.
func (w *words) sev(s string) string {
	if n, ok := w.severity[s]; ok {
		return n
	}
	return s
}

// event is what happened, after the community's name: 紧急告警, 已恢复,
// 紧急告警，无人确认，已升级至第2级.
func (w *words) event(ev Event, level int, severity string) string {
	alarm := fmt.Sprintf(w.alarm, w.sev(severity))
	switch ev {
	case Resolved:
		return w.resolved
	case Escalation:
		return alarm + w.comma() + fmt.Sprintf(w.escalated, level)
	case Heartbeat:
		return w.heartbeat
	case Test:
		return w.test
	case Report:
		return w.report
	}
	return alarm
}

// smsEvent is event, shorter for an SMS.
func (w *words) smsEvent(ev Event, level int, severity string) string {
	if ev == Escalation {
		return w.sev(severity) + w.comma() + fmt.Sprintf(w.smsEsc, level)
	}
	return w.event(ev, level, severity)
}

// comma joins two clauses.
func (w *words) comma() string {
	if w == en {
		return ", "
	}
	return "，"
}
