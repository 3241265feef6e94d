package site

import (
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"
)

// Notify says where alarms go beyond the console: the receivers (a real
// Alertmanager, webhooks, WeCom and DingTalk group robots, an SMS gateway),
// the people on duty and their shifts, the routes from alarms to people and
// receivers, escalation deadlines (篇4·02PART·11), flood control, signed
// acknowledgement links and the pipeline heartbeat.
type Notify struct {
	Pos `yaml:"-"`
	// PublicURL is the console as the phones reach it; links in messages
	// (console, acknowledge) start with it. Empty: no links.
	PublicURL string `yaml:"public_url"`
	// AckSecretFile holds the key that signs acknowledgement links; env
	// FACMON_ACK_SECRET overrides it.
	AckSecretFile string   `yaml:"ack_secret_file"`
	AckLinkTTL    Duration `yaml:"ack_link_ttl"`
	// OutboxDir defaults to DATA_DIR/outbox.
	OutboxDir string `yaml:"outbox_dir"`
	// FloodHold is how long a first alarm waits for others of its rule;
	// FloodWindow is how long a group then gathers.
	FloodHold   Duration   `yaml:"flood_hold"`
	FloodWindow Duration   `yaml:"flood_window"`
	Escalation  Escalation `yaml:"escalation"`
	// Resolve holds the resolve deadline of each severity (篇4·02PART·11,
	// the time-limit table): an alarm whose condition has not cleared
	// within it is counted as missed in the alarm KPIs. 0 means none.
	Resolve   Escalation `yaml:"resolve"`
	Heartbeat Heartbeat  `yaml:"heartbeat"`
	Receivers []Receiver `yaml:"receivers"`
	People    []Person   `yaml:"people"`
	Groups    []Group    `yaml:"groups"`
	Shifts    []Shift    `yaml:"shifts"`
	Routes    []Route    `yaml:"routes"`

	// AckSecret is read by the loader from AckSecretFile or the
	// environment; never printed.
	AckSecret Secret `yaml:"-"`
}

// Escalation holds the acknowledgement deadline of each severity
// (篇4·02PART·11): when it passes unacknowledged, the next duty level is
// notified. 0 means no escalation for that severity.
type Escalation struct {
	Pos      `yaml:"-"`
	Critical Duration `yaml:"critical"`
	Major    Duration `yaml:"major"`
	Minor    Duration `yaml:"minor"`
	Warning  Duration `yaml:"warning"`
}

// Heartbeat is the always-firing watchdog alert sent through the whole
// notification path, so that an outside dead-man receiver pages when
// facmon goes silent. Interval 0 turns it off.
type Heartbeat struct {
	Pos       `yaml:"-"`
	Interval  Duration `yaml:"interval"`
	Receivers []string `yaml:"receivers"`
}

// Receiver kinds.
const (
	ReceiverAlertmanager = "alertmanager"
	ReceiverWebhook      = "webhook"
	ReceiverWeCom        = "wecom"
	ReceiverDingTalk     = "dingtalk"
	ReceiverSMS          = "sms"
)

// ReceiverTypes are the receiver kinds a site file may name.
var ReceiverTypes = []string{ReceiverAlertmanager, ReceiverWebhook, ReceiverWeCom, ReceiverDingTalk, ReceiverSMS}

// Receiver is one place messages are sent to.
type Receiver struct {
	Pos  `yaml:"-"`
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	// URL is the endpoint; URLs lists the members of an Alertmanager HA
	// cluster (each gets every alert).
	URL  string   `yaml:"url"`
	URLs []string `yaml:"urls"`
	// URLFile holds the URL when it is itself a secret (robot URLs carry
	// their access token); env FACMON_NOTIFY_<NAME>_URL overrides it.
	URLFile string `yaml:"url_file"`
	// SecretFile holds the signing key (webhook HMAC, DingTalk sign); env
	// FACMON_NOTIFY_<NAME>_SECRET overrides it.
	SecretFile string `yaml:"secret_file"`
	// AuthFile holds the Authorization header's value ("Bearer …",
	// "APPCODE …"); env FACMON_NOTIFY_<NAME>_AUTH overrides it.
	AuthFile string            `yaml:"auth_file"`
	Headers  map[string]string `yaml:"headers,omitempty"`
	// Template renders the body (webhook, sms) or the markdown text
	// (wecom, dingtalk); empty takes the built-in one.
	Template string `yaml:"template"`
	// Resend is how often active alerts are sent again to Alertmanager.
	Resend        Duration `yaml:"resend"`
	RatePerMinute int      `yaml:"rate_per_minute"`
	Timeout       Duration `yaml:"timeout"`

	// URLSecret and Secret are read by the loader; never printed.
	URLSecret Secret `yaml:"-"`
	Secret    Secret `yaml:"-"`
	Auth      Secret `yaml:"-"`
}

// Person is someone who may be on duty.
type Person struct {
	Pos   `yaml:"-"`
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Phone string `yaml:"phone"`
	// Receivers are the person's channels (an SMS gateway texts Phone; a
	// group robot mentions them).
	Receivers []string `yaml:"receivers"`
	// Lang is the language of the person's messages: "zh" (the default)
	// or "en".
	Lang string `yaml:"lang"`
}

// Message languages.
const (
	LangZh = "zh"
	LangEn = "en"
)

// Group is a named set of people.
type Group struct {
	Pos     `yaml:"-"`
	ID      string   `yaml:"id"`
	Members []string `yaml:"members"`
}

// Shift says who is on duty on some weekdays between two times of day (site
// timezone). Levels[0] is notified first, Levels[1] at the first missed
// deadline, and so on; each level lists people or groups.
type Shift struct {
	Pos    `yaml:"-"`
	Name   string     `yaml:"name"`
	Days   []string   `yaml:"days"`
	From   string     `yaml:"from"`
	To     string     `yaml:"to"`
	Levels [][]string `yaml:"levels"`
}

// Route sends matching alarms to receivers and people. Empty match lists
// match everything; the first matching route wins unless it says continue.
type Route struct {
	Pos        `yaml:"-"`
	Severities []string `yaml:"severities"`
	Kinds      []string `yaml:"kinds"`
	Areas      []string `yaml:"areas"`
	// Receivers get the alarm as such (Alertmanager, a control-room hook).
	Receivers []string `yaml:"receivers"`
	// Duty sends the alarm to the shift's first level, escalating.
	Duty bool `yaml:"duty"`
	// People are people or groups notified besides the duty levels.
	People   []string `yaml:"people"`
	Continue bool     `yaml:"continue"`
}

// Defaults of the notify section.
const (
	DefaultAckLinkTTL         = Duration(24 * time.Hour)
	DefaultFloodHold          = Duration(50 * time.Millisecond)
	DefaultFloodWindow        = Duration(2 * time.Second)
	DefaultEscalateCritical   = Duration(2 * time.Minute)
	DefaultEscalateMajor      = Duration(10 * time.Minute)
	DefaultResolveCritical    = Duration(time.Hour)
	DefaultResolveMajor       = Duration(4 * time.Hour)
	DefaultResolveMinor       = Duration(24 * time.Hour)
	DefaultResolveWarning     = Duration(72 * time.Hour)
	DefaultReceiverTimeout    = Duration(10 * time.Second)
	DefaultReceiverRate       = 60
	DefaultAlertmanagerResend = Duration(time.Minute)
	EnvAckSecret              = "FACMON_ACK_SECRET"
)

// TemplateFuncs are the functions a receiver template may call besides
// text/template's own; alarms/notify defines them (its test keeps the two
// lists equal).
var TemplateFuncs = []string{"json", "upper", "lower", "time", "clock", "truncate"}

// templateStubs lets the checker parse templates without alarms/notify.
var templateStubs = func() template.FuncMap {
	m := template.FuncMap{}
	for _, f := range TemplateFuncs {
		m[f] = func(...any) string { return "" }
	}
	return m
}()

// Weekdays are the day names of a shift.
var Weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseClock reads a time of day "HH:MM" as the offset from midnight;
// "24:00" is the end of the day.
func ParseClock(s string) (time.Duration, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("time of day %q invalid (write HH:MM)", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("time of day %q invalid (write HH:MM)", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// EnvName returns the environment variable of a receiver's secret part
// (URL, SECRET or AUTH): FACMON_NOTIFY_<NAME>_<PART>.
func EnvName(receiver, part string) string {
	n := strings.ToUpper(strings.ReplaceAll(receiver, "-", "_"))
	return "FACMON_NOTIFY_" + n + "_" + part
}

// Receiver returns the receiver called name.
func (n *Notify) Receiver(name string) (*Receiver, bool) {
	for i := range n.Receivers {
		if n.Receivers[i].Name == name {
			return &n.Receivers[i], true
		}
	}
	return nil, false
}

// checkNotify checks the notify section.
func (c *checker) checkNotify() {
	n := &c.site.Notify
	recv := map[string]Pos{}
	for i := range n.Receivers {
		r := &n.Receivers[i]
		ctx := "notify: " + label("receiver", r.Name, i)
		c.checkID(r, "name", r.Name, r.Pos, ctx)
		c.unique(recv, r.Name, c.at(r, "name", r.Pos), ctx)
		c.checkReceiver(r, ctx)
	}
	who := c.checkPeople(n, recv)
	for i := range n.Shifts {
		c.checkShift(&n.Shifts[i], who, fmt.Sprintf("notify: shift #%d", i+1))
	}
	for i := range n.Routes {
		c.checkRoute(&n.Routes[i], recv, who, fmt.Sprintf("notify: route #%d", i+1))
	}
	c.refs(&n.Heartbeat, "receivers", n.Heartbeat.Receivers, recv, n.Heartbeat.Pos, "notify: heartbeat", "receiver")
	if n.PublicURL != "" {
		c.checkURL(n, "public_url", n.PublicURL, n.Pos, "notify", []string{"http", "https"})
	}
}

// checkReceiver checks one receiver's type and URLs.
func (c *checker) checkReceiver(r *Receiver, ctx string) {
	switch {
	case r.Type == "" && c.unreported(r, "type"):
		c.errf(r.Pos, "%s: type missing (%s)", ctx, oneOf(ReceiverTypes))
	case r.Type != "" && !slices.Contains(ReceiverTypes, r.Type):
		c.errf(c.at(r, "type", r.Pos), "%s: type %s unknown (want %s)", ctx, quote(r.Type), oneOf(ReceiverTypes))
	}
	https := []string{"http", "https"}
	if r.URL != "" {
		c.checkURL(r, "url", r.URL, r.Pos, ctx, https)
	}
	for _, u := range r.URLs {
		c.checkURL(r, "urls", u, r.Pos, ctx, https)
	}
	if len(r.URLs) > 0 && r.Type != ReceiverAlertmanager {
		c.errf(c.at(r, "urls", r.Pos), "%s: urls is for alertmanager clusters; use url", ctx)
	}
	if r.URL == "" && len(r.URLs) == 0 && r.URLFile == "" {
		c.errf(r.Pos, "%s: url missing (url, urls or url_file)", ctx)
	}
	if r.Template != "" {
		if _, err := template.New(r.Name).Funcs(templateStubs).Parse(r.Template); err != nil {
			c.errf(c.at(r, "template", r.Pos), "%s: template: %s", ctx, strings.TrimPrefix(err.Error(), "template: "))
		}
	}
	c.checkNonNegative(r, "rate_per_minute", r.RatePerMinute, r.Pos, ctx)
	c.checkPositive(r, "timeout", int64(r.Timeout), r.Pos, ctx)
}

// checkPeople checks people and groups; it returns every id a route or
// shift may name, person or group.
func (c *checker) checkPeople(n *Notify, recv map[string]Pos) map[string]Pos {
	who := map[string]Pos{}
	for i := range n.People {
		p := &n.People[i]
		ctx := "notify: " + label("person", p.ID, i)
		c.checkID(p, "id", p.ID, p.Pos, ctx)
		c.unique(who, p.ID, c.at(p, "id", p.Pos), ctx)
		c.refs(p, "receivers", p.Receivers, recv, p.Pos, ctx, "receiver")
		if p.Lang != "" && p.Lang != LangZh && p.Lang != LangEn {
			c.errf(c.at(p, "lang", p.Pos), "%s: lang %s unknown (want zh or en)", ctx, quote(p.Lang))
		}
	}
	people := maps(who)
	for i := range n.Groups {
		g := &n.Groups[i]
		ctx := "notify: " + label("group", g.ID, i)
		c.checkID(g, "id", g.ID, g.Pos, ctx)
		c.unique(who, g.ID, c.at(g, "id", g.Pos), ctx)
		c.refs(g, "members", g.Members, people, g.Pos, ctx, "person")
	}
	return who
}

// maps copies a position map.
func maps(m map[string]Pos) map[string]Pos {
	out := make(map[string]Pos, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// refs reports each name in names that is not in defined.
func (c *checker) refs(owner any, key string, names []string, defined map[string]Pos, start Pos, ctx, what string) {
	for _, name := range names {
		if _, ok := defined[name]; !ok {
			c.errf(c.at(owner, key, start), "%s: %s: %s %s not defined under notify", ctx, key, what, quote(name))
		}
	}
}

// checkShift checks a shift's days, times and levels.
func (c *checker) checkShift(s *Shift, who map[string]Pos, ctx string) {
	if s.Name != "" {
		ctx = "notify: shift " + quote(s.Name)
	}
	for _, d := range s.Days {
		if !slices.Contains(Weekdays, d) {
			c.errf(c.at(s, "days", s.Pos), "%s: day %s unknown (want %s)", ctx, quote(d), oneOf(Weekdays))
		}
	}
	for _, k := range []struct{ key, v string }{{"from", s.From}, {"to", s.To}} {
		if k.v == "" {
			continue
		}
		if _, err := ParseClock(k.v); err != nil {
			c.errf(c.at(s, k.key, s.Pos), "%s: %s: %v", ctx, k.key, err)
		}
	}
	if len(s.Levels) == 0 {
		c.errf(s.Pos, "%s: levels missing (a list of lists of people or groups)", ctx)
	}
	for _, lv := range s.Levels {
		c.refs(s, "levels", lv, who, s.Pos, ctx, "person or group")
	}
}

// checkRoute checks a route's matchers and targets.
func (c *checker) checkRoute(r *Route, recv, who map[string]Pos, ctx string) {
	for _, sv := range r.Severities {
		if !slices.Contains([]string{"critical", "major", "minor", "warning"}, sv) {
			c.errf(c.at(r, "severities", r.Pos), "%s: severity %s unknown (want critical, major, minor or warning)", ctx, quote(sv))
		}
	}
	for _, k := range r.Kinds {
		if !KnownKind(k) {
			c.errf(c.at(r, "kinds", r.Pos), "%s: kind %s unknown%s", ctx, quote(k), kindHint(k))
		}
	}
	for _, a := range r.Areas {
		if !c.site.hasArea(a) {
			c.errf(c.at(r, "areas", r.Pos), "%s: area %s not defined under areas", ctx, quote(a))
		}
	}
	c.refs(r, "receivers", r.Receivers, recv, r.Pos, ctx, "receiver")
	c.refs(r, "people", r.People, who, r.Pos, ctx, "person or group")
	if len(r.Receivers) == 0 && len(r.People) == 0 && !r.Duty {
		c.errf(r.Pos, "%s: sends nowhere (give receivers, people or duty: true)", ctx)
	}
	if r.Duty && len(c.site.Notify.Shifts) == 0 {
		c.errf(c.at(r, "duty", r.Pos), "%s: duty: true but notify has no shifts", ctx)
	}
}

// readNotifySecrets fills the ack key and the receivers' secret parts.
func (c *checker) readNotifySecrets(e env) {
	n := &c.site.Notify
	n.AckSecret = c.readSecret(e, EnvAckSecret, n, "ack_secret_file", n.AckSecretFile, n.Pos, "notify")
	if k := len(n.AckSecret); k > 0 && k < MinKeyBytes {
		c.errf(c.at(n, "ack_secret_file", n.Pos), "notify: ack_secret_file: the ack-link key is %d bytes; at least %d, or anyone can forge acknowledgements (make one: head -c 32 /dev/urandom | base64 > ack.key)", k, MinKeyBytes)
	}
	for i := range n.Receivers {
		r := &n.Receivers[i]
		ctx := "notify: " + label("receiver", r.Name, i)
		r.URLSecret = c.readSecret(e, EnvName(r.Name, "URL"), r, "url_file", r.URLFile, r.Pos, ctx)
		r.Secret = c.readSecret(e, EnvName(r.Name, "SECRET"), r, "secret_file", r.SecretFile, r.Pos, ctx)
		r.Auth = c.readSecret(e, EnvName(r.Name, "AUTH"), r, "auth_file", r.AuthFile, r.Pos, ctx)
	}
}

// notifyDefaults fills the notify section's defaults.
func (c *checker) notifyDefaults() {
	n := &c.site.Notify
	setIfAbsent(c, n, "ack_link_ttl", &n.AckLinkTTL, DefaultAckLinkTTL)
	setIfAbsent(c, n, "flood_hold", &n.FloodHold, DefaultFloodHold)
	setIfAbsent(c, n, "flood_window", &n.FloodWindow, DefaultFloodWindow)
	e := &n.Escalation
	setIfAbsent(c, e, "critical", &e.Critical, DefaultEscalateCritical)
	setIfAbsent(c, e, "major", &e.Major, DefaultEscalateMajor)
	r := &n.Resolve
	setIfAbsent(c, r, "critical", &r.Critical, DefaultResolveCritical)
	setIfAbsent(c, r, "major", &r.Major, DefaultResolveMajor)
	setIfAbsent(c, r, "minor", &r.Minor, DefaultResolveMinor)
	setIfAbsent(c, r, "warning", &r.Warning, DefaultResolveWarning)
	for i := range n.Receivers {
		r := &n.Receivers[i]
		setIfAbsent(c, r, "timeout", &r.Timeout, DefaultReceiverTimeout)
		setIfAbsent(c, r, "rate_per_minute", &r.RatePerMinute, DefaultReceiverRate)
		if r.Type == ReceiverAlertmanager {
			setIfAbsent(c, r, "resend", &r.Resend, DefaultAlertmanagerResend)
		}
	}
}
