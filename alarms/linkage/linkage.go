// Package linkage carries out the linkage actions of alarm rules: when an
// alarm is raised (or cleared) it writes a Modbus coil or register — the
// floodlight of the wall section on (篇3·二十二·1), the fountain pump
// stopped on low water (篇3·十三·3) — or publishes an MQTT command,
// through the collectors' write API. Every action is journaled with its
// result; a failed one raises an alarm of its own. It is an alarms.Output
// behind the dispatcher, so a slow device never holds up the engine.
package linkage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"facmon/alarms"
	"facmon/alarms/lifecycle"
	"facmon/alarms/rules"
	"facmon/internal/site"
)

// DefaultTimeout bounds one action.
const DefaultTimeout = 5 * time.Second

// Writer writes Modbus signals (collectors/modbus.Collector).
type Writer interface {
	WriteCoil(ctx context.Context, device, signal string, on bool) error
	WriteRegister(ctx context.Context, device, signal string, value float64) error
}

// Publisher publishes MQTT commands (collectors/mqtt.Publisher).
type Publisher interface {
	PublishJSON(ctx context.Context, topic string, qos byte, retained bool, v any) error
}

// Recorder journals actions and raises the alarm of a failed one
// (lifecycle.Manager).
type Recorder interface {
	Record(ctx context.Context, e lifecycle.Entry) error
	RaiseEvent(ctx context.Context, t alarms.Transition) error
}

// Options configure a Linkage.
type Options struct {
	// Rules returns the rule set whose actions run now (the engine's,
	// which a reload replaces); its Site has the linkage switch.
	Rules func() *rules.Set
	// Writer and Publisher carry the actions out; a nil one fails the
	// actions that need it. They are functions so that a reload can swap
	// the collectors underneath.
	Writer    func() Writer
	Publisher func() Publisher
	Recorder  Recorder
	// Clock dates the journal entries.
	Clock      func() time.Time
	Timeout    time.Duration
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Linkage runs the actions of the rules.
type Linkage struct {
	o       Options
	actions *prometheus.CounterVec

	mu      sync.Mutex // guards the fields below, rebuilt when the set changes
	set     *rules.Set
	enabled bool
	byRule  map[string]*rules.Rule
	devices map[string]*site.Device
}

var _ alarms.Output = (*Linkage)(nil)

// New builds a Linkage for o.Rules; the site's linkage switch decides
// whether actions run at all.
func New(o Options) (*Linkage, error) {
	if o.Rules == nil || o.Recorder == nil || o.Clock == nil {
		return nil, errors.New("linkage: Rules, Recorder and Clock are required")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Linkage{o: o}
	l.actions = promauto.With(o.Registerer).NewCounterVec(prometheus.CounterOpts{Name: "facmon_linkage_actions_total",
		Help: "Linkage actions carried out, by result (ok, failed, disabled)."}, []string{"result"})
	l.refresh()
	return l, nil
}

// refresh rebuilds the rule and device maps when the rule set changed.
func (l *Linkage) refresh() {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.o.Rules()
	if set == l.set {
		return
	}
	l.set, l.enabled = set, set.Site.Linkage.On()
	l.byRule, l.devices = map[string]*rules.Rule{}, map[string]*site.Device{}
	for _, r := range set.Rules {
		if len(r.Actions) > 0 {
			l.byRule[r.Name] = r
			l.warnUntargeted(r)
		}
	}
	for i := range set.Site.Devices {
		l.devices[set.Site.Devices[i].ID] = &set.Site.Devices[i]
	}
}

// warnUntargeted logs the devices of r for which a write action found no
// target (no such label, or not a Modbus device).
func (l *Linkage) warnUntargeted(r *rules.Rule) {
	for i := range r.Actions {
		a := &r.Actions[i]
		if a.Write == nil {
			continue
		}
		for _, d := range r.Devices {
			if a.Targets[d] == "" {
				l.o.Logger.Warn("linkage: no write target for device; its alarms switch nothing", "rule", r.Name, "device", d, "template", a.Write.Device)
			}
		}
	}
}

// Transitions runs the actions of the raises and clears in ts, in order.
func (l *Linkage) Transitions(ctx context.Context, ts []alarms.Transition) error {
	l.refresh()
	for i := range ts {
		t := &ts[i]
		r := l.byRule[t.Rule]
		if r == nil || (t.Change != alarms.Raise && t.Change != alarms.Clear) || t.OutOfService {
			continue
		}
		for j := range r.Actions {
			a := &r.Actions[j]
			if a.OnClear() == (t.Change == alarms.Clear) {
				l.run(ctx, r, a, t)
			}
		}
	}
	return nil
}

// run carries out one action for one transition, journals the result and
// raises an alarm if it failed.
func (l *Linkage) run(ctx context.Context, r *rules.Rule, a *rules.Action, t *alarms.Transition) {
	name, subject, payload := describe(a, t)
	if !l.enabled {
		l.actions.WithLabelValues("disabled").Inc()
		l.record(ctx, name, subject, "skipped: linkage disabled in the site file", payload)
		return
	}
	actx, cancel := context.WithTimeout(ctx, l.o.Timeout)
	err := l.do(actx, r, a, t)
	cancel()
	if err == nil {
		l.actions.WithLabelValues("ok").Inc()
		l.record(ctx, name, subject, "ok", payload)
		return
	}
	l.actions.WithLabelValues("failed").Inc()
	l.o.Logger.Error("linkage action failed", "rule", r.Name, "alarm", t.ID, "action", name, "target", subject, "err", err)
	l.record(ctx, name, subject, "failed: "+err.Error(), payload)
	l.raise(ctx, t, name, subject, err)
}

// do carries out the action.
func (l *Linkage) do(ctx context.Context, r *rules.Rule, a *rules.Action, t *alarms.Transition) error {
	if a.Write != nil {
		return l.write(ctx, a, t)
	}
	return l.publish(ctx, r, a.Publish, t)
}

// write sets the target signal.
func (l *Linkage) write(ctx context.Context, a *rules.Action, t *alarms.Transition) error {
	target := a.Targets[t.Device]
	if target == "" {
		return fmt.Errorf("rule %q: no write target for device %q", t.Rule, t.Device)
	}
	var w Writer
	if l.o.Writer != nil {
		w = l.o.Writer()
	}
	if w == nil {
		return errors.New("no Modbus collector running")
	}
	if l.isCoil(target, a.Write.Signal) {
		return w.WriteCoil(ctx, target, a.Write.Signal, a.Write.Value != 0)
	}
	return w.WriteRegister(ctx, target, a.Write.Signal, a.Write.Value)
}

// isCoil reports whether device's signal is a coil.
func (l *Linkage) isCoil(device, signal string) bool {
	if d := l.devices[device]; d != nil {
		for _, sg := range d.Signals {
			if sg.Name == signal && sg.Modbus != nil {
				return sg.Modbus.Table == "coil"
			}
		}
	}
	return false
}

// publish renders and sends an MQTT command; a payload that is JSON goes
// as is, anything else as a JSON string.
func (l *Linkage) publish(ctx context.Context, r *rules.Rule, p *rules.Publish, t *alarms.Transition) error {
	var pub Publisher
	if l.o.Publisher != nil {
		pub = l.o.Publisher()
	}
	if pub == nil {
		return errors.New("no MQTT connection")
	}
	data := l.data(r, t)
	topic, err := render(p.Topic, data)
	if err != nil {
		return err
	}
	payload, err := render(p.Payload, data)
	if err != nil {
		return err
	}
	var v any = payload
	if json.Valid([]byte(payload)) {
		v = json.RawMessage(payload)
	}
	return pub.PublishJSON(ctx, topic, byte(p.QoS), p.Retained, v)
}

// data is the template data of a transition.
func (l *Linkage) data(r *rules.Rule, t *alarms.Transition) *rules.Data {
	d := &rules.Data{Rule: t.Rule, Site: t.Site, Device: t.Device, Area: t.Area, Kind: t.Kind, Signal: t.Signal,
		Value: t.Value, Labels: r.Labels}
	if dev := l.devices[t.Device]; dev != nil {
		d.DeviceName, d.DeviceLabels = dev.Name, dev.Labels
	}
	return d
}

func render(text string, d *rules.Data) (string, error) {
	tm, err := template.New("").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := tm.Execute(&b, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

// describe names the action for the journal.
func describe(a *rules.Action, t *alarms.Transition) (name, subject string, payload any) {
	p := map[string]any{"alarm": t.ID, "rule": t.Rule, "device": t.Device, "change": t.Change.String()}
	if a.Write != nil {
		p["signal"], p["value"] = a.Write.Signal, a.Write.Value
		return "write " + a.Write.Signal, a.Targets[t.Device], p
	}
	p["topic"] = a.Publish.Topic
	return "publish", strings.SplitN(a.Publish.Topic, "{", 2)[0], p
}

// record journals an action's result; a journal error is logged.
func (l *Linkage) record(ctx context.Context, name, subject, result string, payload any) {
	if err := l.o.Recorder.Record(ctx, lifecycle.LinkageEntry(l.o.Clock(), name, subject, result, payload)); err != nil {
		l.o.Logger.Error("linkage action not journaled", "action", name, "target", subject, "err", err)
	}
}

// raise raises the alarm of a failed action.
func (l *Linkage) raise(ctx context.Context, t *alarms.Transition, name, subject string, err error) {
	dev := subject
	if dev == "" {
		dev = t.Device
	}
	a := alarms.Transition{Rule: lifecycle.LinkageFailedRule, Site: t.Site, Area: t.Area, Kind: t.Kind, Device: dev,
		Severity: alarms.Major, Cite: t.Cite, Time: l.o.Clock(),
		Message: fmt.Sprintf("联动失败：%s %s（告警 %s）：%v", name, dev, t.ID, err)}
	if rerr := l.o.Recorder.RaiseEvent(ctx, a); rerr != nil {
		l.o.Logger.Error("linkage failure alarm not raised", "target", dev, "err", rerr)
	}
}
