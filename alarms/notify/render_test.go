package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"facmon/alarms"
	"facmon/alarms/notify/acklink"
	"facmon/internal/site"
	"facmon/internal/testsupport"
)

// lakeside is a community in Asia/Shanghai with a perimeter zone (camera
// on the zone) and an in-home zone with its household.
func lakeside(t testing.TB) *site.Site {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return &site.Site{ID: "lakeside", Name: "湖畔花园", Timezone: "Asia/Shanghai", Location: loc,
		Areas: []site.Area{{ID: "east-fence", Name: "东围墙"}, {ID: "building-19", Name: "19号楼"}},
		Devices: []site.Device{
			{ID: "fence-e1", Name: "东围墙1防区", Kind: "perimeter_zone", Area: "east-fence", Labels: map[string]string{"camera": "cam-east-1"}},
			{ID: "home-19-2", Name: "19号楼2单元301室家庭报警", Kind: "home_alarm", Area: "building-19"},
		},
		Zones: []site.Zone{
			{ID: "zone-e1", Name: "东围墙1防区", Kind: site.Perimeter, Area: "east-fence", Devices: []string{"fence-e1"}, Camera: "http://nvr.local/cam/east-1"},
			{ID: "home-19-2", Name: "19号楼2单元301室", Kind: site.InHome, Area: "building-19", Devices: []string{"home-19-2"}, Household: "19号楼2单元301室 赵女士"},
		},
	}
}

// lakesideNotify routes critical alarms to one receiver of each kind and
// to the duty chain: zhang, then li (Chinese; his channels include the
// Alertmanager, so escalations reach its annotations) and tom (English).
func lakesideNotify(base string) *site.Notify {
	rcv := func(name, typ string) site.Receiver {
		return site.Receiver{Name: name, Type: typ, URL: base + "/" + name, Timeout: site.Duration(5 * time.Second)}
	}
	return &site.Notify{
		PublicURL:  "https://facmon.example",
		Escalation: site.Escalation{Critical: site.Duration(2 * time.Minute)},
		Receivers: []site.Receiver{rcv("ding", site.ReceiverDingTalk), rcv("wecom", site.ReceiverWeCom), rcv("sms", site.ReceiverSMS),
			rcv("hook", site.ReceiverWebhook), rcv("am", site.ReceiverAlertmanager)},
		People: []site.Person{
			{ID: "zhang", Name: "张工", Phone: "13800000001", Receivers: []string{"sms", "ding", "wecom", "hook"}},
			{ID: "li", Name: "李主管", Phone: "13800000003", Receivers: []string{"ding", "wecom", "hook", "am"}},
			{ID: "tom", Name: "Tom", Phone: "13800000002", Receivers: []string{"sms"}, Lang: site.LangEn},
		},
		Shifts: []site.Shift{{Name: "all", Levels: [][]string{{"zhang"}, {"li", "tom"}}}},
		Routes: []site.Route{{Severities: []string{"critical"}, Receivers: []string{"am"}, Duty: true}},
	}
}

// links matches a markdown link's target.
var links = regexp.MustCompile(`\]\([^)]*\)`)

// at0 is 20:47:10 UTC: 04:47:10 of the next day in Shanghai.
var at0 = time.Date(2026, 12, 6, 20, 47, 10, 0, time.UTC)

// lakesideAlarm is a raise on the lakeside site.
func lakesideAlarm(rule, device, area, message, action string, at time.Time) alarms.Transition {
	return alarms.Transition{ID: alarms.AlarmID(rule, device, at), Rule: rule, Site: "lakeside", Area: area, Device: device,
		Severity: alarms.Critical, Message: message, Action: action, Cite: "篇3·二十二·1", Change: alarms.Raise,
		Time: at, ActiveSince: at, To: alarms.ActiveUnacked}
}

// rendered is what each channel received, by receiver and person.
type rendered map[string][]string

// deliverAll sends every pending message through its notifier to the sink
// and returns the text each channel shows: the robots' markdown (and
// DingTalk's title), the SMS text, the webhook's summary and text, the
// Alertmanager annotations' summary and time.
func deliverAll(t *testing.T, s *Service, hook *sink) rendered {
	t.Helper()
	before := len(hook.requests())
	for _, e := range s.ob.Pending() {
		var m Message
		if err := json.Unmarshal(e.Body, &m); err != nil {
			t.Fatal(err)
		}
		if _, err := s.o.Receivers[e.Receiver].Send(context.Background(), &m); err != nil {
			t.Fatalf("%s: %v", e.Receiver, err)
		}
		s.ob.Done(e.ID, e.Receiver)
	}
	out := rendered{}
	for _, g := range hook.requests()[before:] {
		name := strings.TrimPrefix(g.URL, "/")
		name, _, _ = strings.Cut(name, "/")
		name, _, _ = strings.Cut(name, "?")
		out[name] = append(out[name], channelText(t, name, g.Body))
	}
	return out
}

// channelText pulls what the person reads out of a channel's body.
func channelText(t *testing.T, name string, body []byte) string {
	var v struct {
		Markdown struct{ Title, Text, Content string } `json:"markdown"`
		Text     string                                `json:"text"`
		Summary  string                                `json:"summary"`
		Phone    string                                `json:"phone"`
	}
	switch name {
	case "am": // /am/api/v2/alerts
		var as []postableAlert
		if err := json.Unmarshal(body, &as); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, a := range as {
			b.WriteString(a.Annotations["summary"] + " | " + a.Annotations["time"] + " | " + a.Annotations["action"] + " | " + a.Annotations["household"] + "\n")
		}
		return b.String()
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v: %s", name, err, body)
	}
	switch name {
	case "ding":
		return v.Markdown.Title + "\n" + v.Markdown.Text
	case "wecom":
		return v.Markdown.Content
	case "sms":
		return v.Phone + " " + v.Text
	}
	return v.Summary + "\n" + v.Text
}

// lakesideService is a service on the lakeside site with every receiver
// pointed at hook and the clock at c.
func lakesideService(t *testing.T, hook *sink, c *testsupport.Clock) *Service {
	t.Helper()
	st := lakeside(t)
	n := lakesideNotify(hook.URL())
	b, err := Build(n, &http.Client{}, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Notify: n, SiteID: st.ID, Location: st.Location, Names: NamesOf(st), Receivers: b.Receivers,
		Resend: b.Resend, OutboxDir: t.TempDir(), Links: &acklink.Signer{Key: []byte("k"), Base: n.PublicURL, TTL: time.Hour}, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestChannelsSayPlaceLocalTimeAndAction: a perimeter alarm, an in-home
// alarm, an escalation and a clear at 20:47 UTC on a site in Shanghai,
// through every channel: each message names the community first, the
// place by the site file's names, the local time with the next day's
// date, the household and what to do, in the person's language.
func TestChannelsSayPlaceLocalTimeAndAction(t *testing.T) {
	hook := newSink(t)
	c := testsupport.NewClock(at0)
	s := lakesideService(t, hook, c)
	fence := lakesideAlarm("fence-intrusion", "fence-e1", "east-fence", "东围墙1防区 入侵报警", "派保安到东围墙1防区查看", at0)
	home := lakesideAlarm("home-alarm", "home-19-2", "building-19", "户内报警", "电话联系住户，派保安上门", at0)

	steps := []struct {
		name string
		do   func()
		want map[string][]string // channel: texts each found in one of its messages
	}{
		{"perimeter alarm", func() { s.Transitions(context.Background(), []alarms.Transition{fence}) }, map[string][]string{
			"ding":  {"湖畔花园 紧急告警：东围墙1防区 入侵报警 12-07 04:47:10\n### 湖畔花园 紧急告警\n**[紧急] 东围墙1防区 入侵报警**\n- 位置：东围墙 · 东围墙1防区\n- 时间：12-07 04:47:10\n- 处置：派保安到东围墙1防区查看\n- 依据：篇3·二十二·1\n- [摄像头](http://nvr.local/cam/east-1) · [控制台](https://facmon.example/?alarm=fence-intrusion%2Ffence-e1%2F", "\n[确认](https://facmon.example/ack/"},
			"wecom": {"### 湖畔花园 紧急告警\n**[紧急] 东围墙1防区 入侵报警**\n- 位置：东围墙 · 东围墙1防区\n- 时间：12-07 04:47:10\n- 处置：派保安到东围墙1防区查看\n- 依据：篇3·二十二·1\n- [摄像头](http://nvr.local/cam/east-1)"},
			"sms":   {"13800000001 【湖畔花园】紧急告警：东围墙1防区 入侵报警 12-07 04:47 处置：派保安到东围墙1防区查看"},
			"hook":  {"湖畔花园 紧急告警：东围墙1防区 入侵报警 12-07 04:47:10\n### 湖畔花园 紧急告警\n**[紧急] 东围墙1防区 入侵报警**\n- 位置：东围墙 · 东围墙1防区\n- 时间：12-07 04:47:10\n- 处置：派保安到东围墙1防区查看"},
			"am":    {"湖畔花园 紧急告警：东围墙1防区 入侵报警 12-07 04:47:10 | 12-07 04:47:10 | 派保安到东围墙1防区查看 | \n"},
		}},
		{"in-home alarm with its household", func() { s.Transitions(context.Background(), []alarms.Transition{home}) }, map[string][]string{
			"ding":  {"湖畔花园 紧急告警：19号楼2单元301室家庭报警 户内报警 12-07 04:47:10\n### 湖畔花园 紧急告警\n**[紧急] 19号楼2单元301室家庭报警 户内报警**\n- 位置：19号楼 · 19号楼2单元301室家庭报警\n- 时间：12-07 04:47:10\n- 住户：19号楼2单元301室 赵女士\n- 处置：电话联系住户，派保安上门\n"},
			"wecom": {"**[紧急] 19号楼2单元301室家庭报警 户内报警**\n- 位置：19号楼 · 19号楼2单元301室家庭报警\n- 时间：12-07 04:47:10\n- 住户：19号楼2单元301室 赵女士\n- 处置：电话联系住户，派保安上门\n"},
			"sms":   {"13800000001 【湖畔花园】紧急告警：19号楼2单元301室家庭报警 户内报警 12-07 04:47 住户：赵女士 处置：电话联系住户，派保安上门"},
			"hook":  {"湖畔花园 紧急告警：19号楼2单元301室家庭报警 户内报警 12-07 04:47:10\n", "- 住户：19号楼2单元301室 赵女士\n"},
			"am":    {"湖畔花园 紧急告警：19号楼2单元301室家庭报警 户内报警 12-07 04:47:10 | 12-07 04:47:10 | 电话联系住户，派保安上门 | 19号楼2单元301室 赵女士\n"},
		}},
		{"escalation", func() { c.Set(at0.Add(2 * time.Minute)); s.Tick(c.Now()) }, map[string][]string{
			"ding":  {"湖畔花园 紧急告警，无人确认，已升级至第2级：东围墙1防区 入侵报警 12-07 04:47:10\n### 湖畔花园 紧急告警，无人确认，已升级至第2级\n**[紧急] 东围墙1防区 入侵报警**\n- 位置：东围墙 · 东围墙1防区\n- 时间：12-07 04:47:10\n- 处置：派保安到东围墙1防区查看\n"},
			"wecom": {"### 湖畔花园 紧急告警，无人确认，已升级至第2级\n**[紧急] 19号楼2单元301室家庭报警 户内报警**\n", "- 住户：19号楼2单元301室 赵女士\n"},
			"hook":  {"湖畔花园 紧急告警，无人确认，已升级至第2级：东围墙1防区 入侵报警 12-07 04:47:10\n"},
			"am": {"湖畔花园 紧急告警，无人确认，已升级至第2级：东围墙1防区 入侵报警 12-07 04:47:10 | 12-07 04:47:10 | 派保安到东围墙1防区查看 | \n",
				"湖畔花园 紧急告警，无人确认，已升级至第2级：19号楼2单元301室家庭报警 户内报警 12-07 04:47:10 | 12-07 04:47:10 | 电话联系住户，派保安上门 | 19号楼2单元301室 赵女士\n"},
			"sms": {"13800000002 【湖畔花园】Critical, escalated L2: 东围墙1防区 入… 12-07 04:47 Action: 派保安到东围墙1防…",
				"13800000002 【湖畔花园】Critical, escalated L2: 19号楼2单… 户内报警 12-07 04:47 Household: 赵女士 Action: 电话联系住户…"},
		}},
		{"clear", func() {
			c.Set(at0.Add(5 * time.Minute))
			cl := fence
			cl.Change, cl.Time, cl.From, cl.To = alarms.Clear, c.Now(), alarms.ActiveUnacked, alarms.ClearedUnacked
			s.Transitions(context.Background(), []alarms.Transition{cl})
		}, map[string][]string{
			"ding":  {"湖畔花园 已恢复：东围墙1防区 入侵报警 12-07 04:52:10\n### 湖畔花园 已恢复\n**[紧急] 东围墙1防区 入侵报警**\n- 位置：东围墙 · 东围墙1防区\n- 时间：12-07 04:47:10\n- 恢复：12-07 04:52:10\n- 依据：篇3·二十二·1\n"},
			"wecom": {"### 湖畔花园 已恢复\n**[紧急] 东围墙1防区 入侵报警**\n"},
			"sms":   {"13800000001 【湖畔花园】已恢复：东围墙1防区 入侵报警 12-07 04:52", "13800000002 【湖畔花园】Resolved: 东围墙1防区 入侵报警 12-07 04:52"},
			"hook":  {"湖畔花园 已恢复：东围墙1防区 入侵报警 12-07 04:52:10\n"},
			"am":    {"湖畔花园 已恢复：东围墙1防区 入侵报警 12-07 04:52:10 | 12-07 04:47:10 | 派保安到东围墙1防区查看 | \n"},
		}},
	}
	for _, st := range steps {
		st.do()
		got := deliverAll(t, s, hook)
		for ch, wants := range st.want {
			t.Run(st.name+"/"+ch, func(t *testing.T) {
				all := strings.Join(got[ch], "\n----\n")
				for _, w := range wants {
					if !strings.Contains(all, w) {
						t.Errorf("messages:\n%s\nwant one to hold:\n%s", all, w)
					}
				}
				for _, text := range got[ch] {
					if bare := links.ReplaceAllString(text, "]"); strings.Contains(bare, "20:4") || strings.Contains(bare, "fence") ||
						strings.Contains(bare, "home-") || strings.Contains(bare, "12-06") || strings.Contains(bare, "east-") {
						t.Errorf("UTC time or rule id shown outside a link:\n%s", text)
					}
					// Chinese fits one segment; English words are longer: two.
					if limit := smsMaxRunes; ch == "sms" && utf8.RuneCountInString(text[strings.Index(text, " ")+1:]) > limit {
						if !strings.HasPrefix(text, "13800000002") || utf8.RuneCountInString(text) > 2*limit-6 {
							t.Errorf("SMS longer than one segment: %s", text)
						}
					}
				}
			})
		}
	}
}

// TestSMSFloodAndLength: a flood says how many more alarms it holds, and
// a long message is shortened to keep the text in one segment.
func TestSMSFloodAndLength(t *testing.T) {
	loc := lakeside(t).Location
	a := Alert{SiteName: "湖畔花园", Area: "east-fence", AreaName: "东围墙", Device: "fence-e1", DeviceName: "东围墙1防区",
		Severity: "critical", Message: "东围墙1防区 入侵报警", StartsAt: at0}
	NamesOf(lakeside(t)).describe(&a)
	if a.StartsAt.Location().String() != loc.String() || a.At != "12-07 04:47:10" {
		t.Fatalf("local time %v %q", a.StartsAt, a.At)
	}
	flood := &Message{Event: Firing, Alerts: []Alert{a, a, a, a}, Count: 4}
	if got, want := flood.SMSText(), "【湖畔花园】紧急告警：东围墙1防区 入侵报警 12-07 04:47 另有3条"; got != want {
		t.Errorf("flood: got %q, want %q", got, want)
	}
	long := a
	long.Message = strings.Repeat("东围墙1防区红外对射探测器被遮挡，请派人到现场确认是否有人翻越围墙", 2)
	long.Action = "派保安到东围墙1防区查看，并通知物业经理"
	m := &Message{Event: Firing, Alerts: []Alert{long}, Count: 1}
	got := m.SMSText()
	if n := utf8.RuneCountInString(got); n > smsMaxRunes || !strings.Contains(got, "…") || !strings.Contains(got, "12-07 04:47") ||
		!strings.Contains(got, "派保安到东围墙1防区查看，并通知物业经理") {
		t.Errorf("long message: %d runes: %q (want the message cut first, the time and action kept)", n, got)
	}
	flood.Lang = site.LangEn
	if got := flood.SMSText(); !strings.HasSuffix(got, " 3 more") || !strings.Contains(got, "Critical alarm") {
		t.Errorf("english flood: %q", got)
	}
}

// TestTemplatesSeeNamesTimeAndAction: a receiver's own template has the
// names, the local time and the action.
func TestTemplatesSeeNamesTimeAndAction(t *testing.T) {
	a := Alert{Area: "east-fence", Device: "fence-e1", Severity: "critical", Message: "入侵报警", Action: "派保安查看", StartsAt: at0}
	NamesOf(lakeside(t)).describe(&a)
	m := &Message{Event: Firing, Alerts: localized([]Alert{a}, site.LangZh), Count: 1}
	tm, err := ParseTemplate("mine", `{{range .Alerts}}{{.SiteName}}|{{.AreaName}}|{{.DeviceName}}|{{.SeverityName}}|{{.At}}|{{.Action}}|{{.CameraURL}}|{{time .StartsAt "15:04"}}{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tm.Render(m)
	if want := "湖畔花园|东围墙|东围墙1防区|紧急|12-07 04:47:10|派保安查看|http://nvr.local/cam/east-1|04:47"; err != nil || string(out) != want {
		t.Errorf("got %q, %v; want %q", out, err, want)
	}
}

// TestHeartbeatSaysCommunityAndLocalTime: the Watchdog heartbeat names the
// community and the local time too.
func TestHeartbeatSaysCommunityAndLocalTime(t *testing.T) {
	hook := newSink(t)
	c := testsupport.NewClock(at0)
	st := lakeside(t)
	n := lakesideNotify(hook.URL())
	n.Heartbeat = site.Heartbeat{Interval: site.Duration(time.Minute), Receivers: []string{"am", "ding"}}
	b, err := Build(n, &http.Client{}, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Notify: n, SiteID: st.ID, Location: st.Location, Names: NamesOf(st), Receivers: b.Receivers,
		Resend: b.Resend, OutboxDir: t.TempDir(), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	s.startTimers(c.Now())
	if err := s.Tick(c.Now()); err != nil {
		t.Fatal(err)
	}
	got := deliverAll(t, s, hook)
	if want := "湖畔花园 通知链路心跳 12-07 04:47:10 | 12-07 04:47:10 |  | \n"; len(got["am"]) != 1 || got["am"][0] != want {
		t.Errorf("alertmanager heartbeat %q, want %q", got["am"], want)
	}
	if want := "湖畔花园 通知链路心跳 12-07 04:47:10\n### 湖畔花园 通知链路心跳\n- 时间：12-07 04:47:10\n"; len(got["ding"]) != 1 || !strings.HasPrefix(got["ding"][0], want) {
		t.Errorf("dingtalk heartbeat %q, want it to start %q", got["ding"], want)
	}
}
