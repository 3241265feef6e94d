package notify

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The built-in texts of a message, in its language: the community's name
// first, then the place by the site file's names, the rule's message, the
// local time, the household of an in-home alarm and what to do. Ids appear
// only inside links. Receiver templates can call them too ({{.Summary}}).

// maxListed is how many alarms of a flood a robot message lists.
const maxListed = 20

// smsMaxRunes is one SMS segment of Chinese text (UCS-2).
const smsMaxRunes = 70

// words returns the message's words.
func (m *Message) words() *words { return wordsOf(m.Lang) }

// severity is the severity of the message's first alert.
func (m *Message) severity() string {
	if len(m.Alerts) == 0 {
		return ""
	}
	return m.Alerts[0].Severity
}

// siteName is the community's name, from the first alert.
func (m *Message) siteName() string {
	if len(m.Alerts) == 0 {
		return ""
	}
	return m.Alerts[0].SiteName
}

// Title is the head of the message: the community and what happened
// (湖畔花园 紧急告警, 湖畔花园 已恢复), with the count of a flood.
func (m *Message) Title() string {
	t := joinNonEmpty(" ", m.siteName(), m.words().event(m.Event, m.Level, m.severity()))
	if m.Count > 1 {
		t += " ×" + strconv.Itoa(m.Count)
	}
	return t
}

// Summary is the message on one line: title, the first alarm and its
// local time, and how many more a flood holds.
func (m *Message) Summary() string {
	if len(m.Alerts) == 0 {
		return m.Title()
	}
	w := m.words()
	s := joinNonEmpty(" ", m.siteName(), w.event(m.Event, m.Level, m.severity()))
	a := &m.Alerts[0]
	if line := m.line(a); line != "" {
		s += w.colon + line
	}
	s = joinNonEmpty(" ", s, m.when(a))
	if m.Count > 1 {
		s += " " + sprintf(w.more, m.Count-1)
	}
	return s
}

// when is the time a message shows for a: when it cleared for a recovery
// notice, when it was raised otherwise.
func (m *Message) when(a *Alert) string {
	if m.Event == Resolved && a.EndedAt != "" {
		return a.EndedAt
	}
	return a.At
}

// line is a's line, or nothing for a heartbeat or test, whose title says
// it all.
func (m *Message) line(a *Alert) string {
	if m.Event == Heartbeat || m.Event == Test {
		return ""
	}
	return a.Line()
}

// Place is where the alarm is, by the site file's names: area and device
// (东围墙 · 东围墙1防区); an id stands in for a name the site file lacks.
func (a *Alert) Place() string {
	return joinNonEmpty(" · ", first(a.AreaName, a.Area), first(a.DeviceName, a.Device))
}

// place is the place, short: without the area when the device's name says
// it, and without the names text already says.
func (a *Alert) place(text string) string {
	area, dev := first(a.AreaName, a.Area), first(a.DeviceName, a.Device)
	if strings.Contains(dev, area) {
		area = ""
	}
	var out []string
	for _, p := range []string{area, dev} {
		if p != "" && !strings.Contains(text, p) {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}

// Line is the place and the rule's message; a name the message already
// says is not repeated (东围墙1防区 入侵报警, not 东围墙 · 东围墙1防区 东围墙1防区 入侵报警).
func (a *Alert) Line() string {
	return joinNonEmpty(" ", a.place(a.Message), a.Message)
}

// Markdown is the robots' text (WeCom, DingTalk).
func (m *Message) Markdown() string {
	w := m.words()
	var b strings.Builder
	b.WriteString("### " + m.Title() + "\n")
	if len(m.Alerts) == 1 {
		m.alertBlock(&b, &m.Alerts[0])
	} else {
		for i := range m.Alerts {
			if i == maxListed {
				b.WriteString("- " + sprintf(w.more, len(m.Alerts)-maxListed) + "\n")
				break
			}
			m.alertItem(&b, &m.Alerts[i])
		}
	}
	if m.AckURL != "" {
		b.WriteString("\n[" + w.ack + "](" + m.AckURL + ")\n")
	}
	return b.String()
}

// alertBlock writes one alarm in full.
func (m *Message) alertBlock(b *strings.Builder, a *Alert) {
	w := m.words()
	if line := m.line(a); line != "" {
		b.WriteString("**")
		if a.SeverityName != "" {
			b.WriteString("[" + a.SeverityName + "] ")
		}
		b.WriteString(line + "**\n")
	}
	item := func(k, v string) {
		if v != "" {
			b.WriteString("- " + k + w.colon + v + "\n")
		}
	}
	item(w.place, a.Place())
	item(w.time, a.At)
	if m.Event == Resolved {
		item(w.endedAt, a.EndedAt)
	}
	item(w.household, a.Household)
	if m.Event != Resolved { // nothing left to do
		item(w.action, a.Action)
	}
	item(w.clause, a.Cite)
	if links := a.links(w); links != "" {
		b.WriteString("- " + links + "\n")
	}
}

// alertItem writes one alarm of a flood on one line.
func (m *Message) alertItem(b *strings.Builder, a *Alert) {
	w := m.words()
	b.WriteString("- **" + a.Line() + "** " + m.when(a))
	if a.Household != "" {
		b.WriteString(" " + w.household + w.colon + a.Household)
	}
	if a.Action != "" && m.Event != Resolved {
		b.WriteString(" " + w.action + w.colon + a.Action)
	}
	if links := a.links(w); links != "" {
		b.WriteString(" " + links)
	}
	b.WriteString("\n")
}

// links are the camera and console links of a.
func (a *Alert) links(w *words) string {
	var l []string
	if a.CameraURL != "" {
		l = append(l, "["+w.camera+"]("+a.CameraURL+")")
	}
	if a.ConsoleURL != "" {
		l = append(l, "["+w.console+"]("+a.ConsoleURL+")")
	}
	return strings.Join(l, " · ")
}

// SMSText is the text of an SMS: one 70-character segment where
// possible. The rule's message is shortened first, then the action, the
// household and the place; a flood says how many more alarms it holds.
func (m *Message) SMSText() string {
	w := m.words()
	head := w.smsEvent(m.Event, m.Level, m.severity())
	if n := m.siteName(); n != "" {
		head = "【" + n + "】" + head
	}
	if len(m.Alerts) == 0 {
		return head
	}
	a := &m.Alerts[0]
	msg := a.Message
	if m.Event == Heartbeat || m.Event == Test {
		msg = ""
	}
	action := a.Action
	if m.Event == Resolved {
		action = ""
	}
	when := m.when(a)
	if len(when) == len("01-02 15:04:05") {
		when = when[:len("01-02 15:04")]
	}
	parts := []smsPart{
		{text: head},
		{text: a.place(msg), min: 6, prefix: w.colon},
		{text: msg, min: 8, prefix: " "},
		{text: when, prefix: " "},
		{text: unsaid(a.Household, a.place(msg)+msg), min: 6, prefix: " " + w.household + w.colon},
		{text: action, min: 6, prefix: " " + w.action + w.colon},
	}
	if parts[1].text == "" { // the colon goes before the message then
		parts[2].prefix = w.colon
	}
	if m.Count > 1 {
		parts = append(parts, smsPart{text: sprintf(w.more, m.Count-1), prefix: " "})
	}
	for _, i := range []int{2, 5, 4, 1} { // message, action, household, place
		over := smsLen(parts) - smsMaxRunes
		if over <= 0 {
			break
		}
		parts[i].shorten(over)
	}
	return smsJoin(parts)
}

// unsaid drops the words of s that text already holds (the room number
// of a household that the device's name gives).
func unsaid(s, text string) string {
	var out []string
	for _, f := range strings.Fields(s) {
		if !strings.Contains(text, f) {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

// smsPart is a piece of an SMS that may be shortened down to min runes
// (0: never shortened).
type smsPart struct {
	text, prefix string
	min          int
}

// shorten cuts p by up to n runes, marking the cut.
func (p *smsPart) shorten(n int) {
	r := []rune(p.text)
	if p.min == 0 || len(r) <= p.min {
		return
	}
	keep := max(p.min, len(r)-n-1) // one rune for the mark
	p.text = string(r[:keep]) + "…"
}

// smsLen is the length of the joined parts in runes.
func smsLen(parts []smsPart) int { return utf8.RuneCountInString(smsJoin(parts)) }

// smsJoin joins the non-empty parts with their prefixes.
func smsJoin(parts []smsPart) string {
	var b strings.Builder
	for _, p := range parts {
		if p.text != "" {
			b.WriteString(p.prefix + p.text)
		}
	}
	return b.String()
}

// joinNonEmpty joins the non-empty strings with sep.
func joinNonEmpty(sep string, s ...string) string {
	out := s[:0:0]
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return strings.Join(out, sep)
}

// sprintf formats a word with one count.
func sprintf(format string, n int) string {
	return strings.Replace(format, "%d", strconv.Itoa(n), 1)
}
