package main

import (
	"context"
	"fmt"
	"sync"

	"facmon/alarms/rules"
	"facmon/alarms/uplink"
	"facmon/collectors/devstatus"
	"facmon/collectors/modbus"
	"facmon/collectors/mqtt"
	"facmon/collectors/selfcheck"
	"facmon/internal/metricscope"
	"facmon/internal/site"
)

// siteRuntime is the site-dependent part of the service — the collectors —
// which a reload stops and starts again with the new site. Their metrics
// are registered in a scope that stop unregisters, so a reload never
// registers a metric twice.
type siteRuntime struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	reg    *metricscope.Scope
	modbus *modbus.Collector
	mqtt   *mqtt.Collector
}

// startRuntime starts the collectors of s and hands them, the site and
// its rule set (nil: unchanged) to the alarm service. A collector that
// cannot be built is logged and left out; the rest runs.
func (svc *service) startRuntime(ctx context.Context, s *site.Site, set *rules.Set) *siteRuntime {
	rctx, cancel := context.WithCancel(ctx)
	rt := &siteRuntime{cancel: cancel, reg: metricscope.New(svc.reg)}
	if err := rt.startCollectors(rctx, svc, s); err != nil {
		svc.log.Error("collectors", "err", err)
	}
	svc.alarms.Update(ctx, s, set, alarmLinks(rt.modbus, rt.mqtt))
	svc.devices.Set(s, rt.sources()...)
	return rt
}

func (rt *siteRuntime) startCollectors(ctx context.Context, svc *service, s *site.Site) error {
	if len(s.Modbus.Gateways) > 0 {
		c, err := modbus.New(modbus.Options{Site: s, Sink: svc.fan, Registerer: rt.reg, Logger: svc.log.With("part", "modbus")})
		if err != nil {
			return fmt.Errorf("modbus: %w", err)
		}
		rt.modbus = c
		rt.wg.Go(func() { rt.logExit(svc, "modbus", c.Run(ctx)) })
	}
	self := selfcheck.New(selfcheck.Options{Site: s, Sink: svc.fan, Gatherer: svc.reg, Watch: mqtt.Watch,
		Logger: svc.log.With("part", "selfcheck")})
	rt.wg.Go(func() { rt.logExit(svc, "selfcheck", self.Run(ctx)) })
	if s.MQTT.URL != "" {
		c, err := mqtt.New(mqtt.Options{Site: s, Sink: svc.fan, Registerer: rt.reg, Logger: svc.log.With("part", "mqtt"), Behind: svc.procs.Busy})
		if err != nil {
			return fmt.Errorf("mqtt: %w", err)
		}
		rt.mqtt = c
		rt.wg.Go(func() { rt.logExit(svc, "mqtt", c.Run(ctx)) })
	}
	if s.Centre.Enabled() {
		u, err := uplink.New(uplink.Options{Site: s, Alarms: svc.alarms, Journal: svc.alarms.Journal(),
			Registerer: rt.reg, Logger: svc.log.With("part", "centre-uplink")})
		if err != nil {
			return fmt.Errorf("centre uplink: %w", err)
		}
		rt.wg.Go(func() { rt.logExit(svc, "centre-uplink", u.Run(ctx)) })
	}
	return nil
}

func (rt *siteRuntime) logExit(svc *service, part string, err error) {
	if err != nil && ctxErr(err) == nil {
		svc.log.Error("collector stopped", "part", part, "err", err)
	}
}

// sources adapts each collector's status to the merged device view.
func (rt *siteRuntime) sources() []devstatus.Source {
	var out []devstatus.Source
	if c := rt.modbus; c != nil {
		out = append(out, devstatus.SourceFunc(func() []devstatus.Device {
			var ds []devstatus.Device
			for _, st := range c.Status() {
				status := "unknown"
				if st.Polled {
					status = st.Status.String()
				}
				ds = append(ds, devstatus.Device{ID: st.Device, Protocol: "modbus", Status: status,
					LastGood: devstatus.TimePtr(st.LastGood), LastError: st.LastError})
			}
			return ds
		}))
	}
	if c := rt.mqtt; c != nil {
		out = append(out, devstatus.SourceFunc(func() []devstatus.Device {
			var ds []devstatus.Device
			for _, st := range c.Status() {
				status := "unknown"
				if st.Known {
					status = st.Status.String()
				}
				ds = append(ds, devstatus.Device{ID: st.Device, Protocol: "mqtt", Status: status,
					Since: devstatus.TimePtr(st.Since), LastGood: devstatus.TimePtr(st.LastGood), LastError: st.LastError})
			}
			return ds
		}))
	}
	return out
}

// stop cancels the runtime, waits for all its goroutines and unregisters
// its metrics.
func (rt *siteRuntime) stop() {
	rt.cancel()
	rt.wg.Wait()
	rt.reg.Close()
}

func ctxErr(err error) error {
	if err == context.Canceled || err == context.DeadlineExceeded {
		return err
	}
	return nil
}
