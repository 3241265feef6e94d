package service

import (
	"context"
	"sync"

	"facmon/alarms"
	"facmon/alarms/linkage"
	"facmon/alarms/mqttout"
	"facmon/alarms/notify"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/internal/metricscope"
	"facmon/internal/site"
)

// gen is what Update builds from one site file and its collectors: the
// MQTT alarm output and device-status forwarder (only with an MQTT
// connection) and the notifiers. Their metrics live in a scope that is
// unregistered when the gen stops.
type gen struct {
	links  Links
	mqtt   *mqttout.Output
	status *mqttout.StatusForwarder
	notify *notify.Setup
	scope  *metricscope.Scope
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Update applies a reload (and, the first time, the start): the site file
// s, its rule set (nil: the rules are unchanged) and the collectors of the
// new site. The engine takes the new rules, carrying the state of
// unchanged ones; the MQTT outputs and the notifiers are rebuilt.
func (s *Service) Update(ctx context.Context, st *site.Site, set *rules.Set, links Links) {
	s.updates.Lock()
	defer s.updates.Unlock()
	s.site.Store(st)
	if set != nil && set != s.engine.Rules() {
		s.runner.Reload(ctx, set, nil)
	}
	s.mu.Lock()
	old := s.cur
	s.cur = nil
	s.mu.Unlock()
	old.stop()
	g := s.newGen(st, links)
	s.mu.Lock()
	s.cur = g
	s.mu.Unlock()
}

// ReloadFailed records that the rule files of a reload did not load: the
// old rules keep running (facmon_rules_last_reload_successful 0).
func (s *Service) ReloadFailed(ctx context.Context, err error) { s.runner.Reload(ctx, nil, err) }

// newGen builds and starts the site-dependent outputs.
func (s *Service) newGen(st *site.Site, links Links) *gen {
	ctx, cancel := context.WithCancel(s.base)
	g := &gen{links: links, scope: metricscope.New(s.o.Registerer), cancel: cancel}
	if links.MQTT != nil {
		s.buildMQTT(ctx, g)
	} else {
		s.log.Info("no MQTT connection configured: alarm messages and device status are not published over MQTT, and linkage actions that publish fail")
	}
	ns, err := notify.NewSetup(notify.SetupOptions{Site: st, DataDir: s.o.DataDir, Acker: s,
		Logger: s.part("notify"), Registerer: g.scope})
	if err != nil {
		s.log.Error("notifiers not started", "err", err)
		return g
	}
	ns.Service.Resume(s.life.Board())
	g.notify = ns
	g.wg.Go(func() {
		s.logExit("notifiers", ns.Service.Run(ctx))
		ns.Close()
	})
	return g
}

// buildMQTT builds the alarm and device-status outputs on the site's MQTT
// connection.
func (s *Service) buildMQTT(ctx context.Context, g *gen) {
	var err error
	g.mqtt, err = mqttout.New(mqttout.Options{Publisher: g.links.MQTT, Registerer: g.scope, Logger: s.part("alarm-mqtt")})
	if err != nil {
		s.log.Error("alarm MQTT output not built", "err", err)
	}
	g.status, err = mqttout.NewStatusForwarder(mqttout.StatusOptions{Publisher: g.links.MQTT, Registerer: g.scope, Logger: s.part("status-mqtt")})
	if err != nil {
		s.log.Error("device status output not built", "err", err)
		return
	}
	g.wg.Go(func() { s.logExit("device status output", g.status.Run(ctx)) })
}

// stop ends the gen's goroutines (the notifiers close their outbox) and
// unregisters its metrics.
func (g *gen) stop() {
	if g == nil {
		return
	}
	g.cancel()
	g.wg.Wait()
	g.scope.Close()
}

// current returns the gen in force, nil between two.
func (s *Service) current() *gen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// toMQTT publishes transitions on the site's broker, if it has one.
func (s *Service) toMQTT(ctx context.Context, ts []alarms.Transition) error {
	if g := s.current(); g != nil && g.mqtt != nil {
		return g.mqtt.Transitions(ctx, ts)
	}
	return nil
}

// toNotify hands transitions to the notifiers.
func (s *Service) toNotify(ctx context.Context, ts []alarms.Transition) error {
	if g := s.current(); g != nil && g.notify != nil {
		return g.notify.Service.Transitions(ctx, ts)
	}
	return nil
}

// modbus is linkage's Modbus writer: the current site's, nil if none.
func (s *Service) modbus() linkage.Writer {
	if g := s.current(); g != nil {
		return g.links.Modbus
	}
	return nil
}

// publisher is linkage's MQTT publisher: the current site's, nil if none.
func (s *Service) publisher() linkage.Publisher {
	if g := s.current(); g != nil && g.links.MQTT != nil {
		return g.links.MQTT
	}
	return nil
}

// Consume takes a batch of the collectors' points (a fan-out consumer):
// the engine evaluates them before Consume returns (an alarm they raise is
// journaled by then), device status goes to the event stream and, with an
// MQTT connection, is published retained.
func (s *Service) Consume(ctx context.Context, batch []collectors.Point) error {
	s.runner.Evaluate(ctx, batch)
	_ = s.hub.StatusSink().Publish(ctx, batch)
	if g := s.current(); g != nil && g.status != nil {
		_ = g.status.Publish(ctx, batch)
	}
	return nil
}
