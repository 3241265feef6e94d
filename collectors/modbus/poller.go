package modbus

import (
	"context"
	"fmt"
	"time"

	"facmon/collectors"
	"facmon/collectors/modbus/codec"
)

// slot is one poll group's place in its gateway's schedule.
type slot struct {
	g *pollGroup
	// due is when the device is polled next (a retry or a regular poll);
	// next is the next regular poll on the device's interval grid.
	due, next time.Time
	attempt   int
	// failing counts consecutive failed polls; a failing group yields to
	// healthy ones due at the same time.
	failing int
}

// poller owns one gateway: its Client, its devices' schedule and the
// writes queued for it.
type poller struct {
	c      *Collector
	cfg    *gatewayConfig
	slots  []*slot
	writes chan writeReq
}

func newPoller(c *Collector, cfg *gatewayConfig) *poller {
	p := &poller{c: c, cfg: cfg, writes: make(chan writeReq)}
	for _, g := range cfg.groups {
		p.slots = append(p.slots, &slot{g: g})
	}
	return p
}

// run polls the gateway's devices, earliest due first, until ctx ends.
func (p *poller) run(ctx context.Context) {
	client, err := p.c.dial(p.cfg.gw)
	if err != nil {
		p.c.log.Error("modbus: gateway not started", "gateway", p.cfg.gw.ID, "err", err)
		return
	}
	defer client.Close()
	now := p.c.now()
	for _, s := range p.slots {
		s.due, s.next = now, now
	}
	for {
		s := p.earliest()
		if !p.waitUntil(ctx, s, client) {
			return
		}
		if s != nil {
			p.poll(ctx, client, s)
		}
	}
}

// earliest is the slot due first, or nil for a gateway without devices.
// Among slots due at once, healthy ones go first, so that in steady state
// a dead device's timeouts fall after its neighbours' polls.
func (p *poller) earliest() *slot {
	var best *slot
	for _, s := range p.slots {
		if best == nil || s.due.Before(best.due) || (s.due.Equal(best.due) && s.failing < best.failing) {
			best = s
		}
	}
	return best
}

// waitUntil serves writes until s is due; false once ctx ends. A write
// queued while the gateway is busy goes first, so linkage actions never
// wait behind a full poll cycle.
func (p *poller) waitUntil(ctx context.Context, s *slot, client Client) bool {
	var timer <-chan time.Time
	if s != nil {
		t := time.NewTimer(s.due.Sub(p.c.now()))
		defer t.Stop()
		timer = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case w := <-p.writes:
			p.write(client, w)
			continue
		default:
		}
		select {
		case <-ctx.Done():
			return false
		case w := <-p.writes:
			p.write(client, w)
		case <-timer:
			return true
		}
	}
}

// poll reads one device, publishes what it got, and reschedules it.
func (p *poller) poll(ctx context.Context, client Client, s *slot) {
	start := p.c.now()
	points, err := p.read(client, s.g)
	end := p.c.now()
	p.c.metrics.pollDuration.WithLabelValues(p.cfg.gw.ID).Observe(end.Sub(start).Seconds())
	if err == nil {
		p.succeeded(ctx, s, points, end)
		return
	}
	p.failed(ctx, s, err, end)
}

// read runs the group's plan. The first failed request ends the poll: a
// dead device costs its neighbours one timeout, not one per request. A
// panic in the library or the decoder is caught here, with the bytes.
func (p *poller) read(client Client, g *pollGroup) (points []collectors.Point, err error) {
	defer func() {
		if r := recover(); r != nil {
			raw := client.LastResponse()
			p.c.log.Error("modbus: panic on device response", "gateway", g.gateway, "unit", g.unit, "devices", g.ids(),
				"panic", r, "bytes", hexBytes(raw))
			client.Close()
			points, err = nil, fmt.Errorf("gateway %q unit %d device %q: %w: %v", g.gateway, g.unit, g.ids(), ErrPanic, r)
		}
	}()
	points = make([]collectors.Point, 0, len(g.refs))
	for _, req := range g.plan {
		data, err := client.Read(g.unit, req.Table, req.Start, req.Count, g.timeout)
		p.countRequest(g, req)
		if err == nil {
			err = checkLen(req, data)
		}
		if err == nil {
			points, err = g.decode(points, req, data, p.c.now())
		}
		if err != nil {
			if k := Kind(err); k == "frame" || k == "transaction" {
				p.c.log.Debug("modbus: bad answer", "gateway", g.gateway, "unit", g.unit, "err", err, "bytes", hexBytes(client.LastResponse()))
			}
			return nil, &RequestError{Gateway: g.gateway, Device: g.ids(), Unit: g.unit, Op: "read",
				Table: req.Table, Start: req.Start, Count: req.Count, Err: err}
		}
	}
	return points, nil
}

// countRequest counts a read once for each device whose data it carried.
func (p *poller) countRequest(g *pollGroup, req Request) {
	var last *device
	for _, i := range req.Fields {
		if d := g.refs[i].dev; d != last {
			p.c.metrics.requests.WithLabelValues(d.id).Inc()
			last = d
		}
	}
}

// checkLen rejects an answer with fewer or more bytes than asked for.
func checkLen(req Request, data []byte) error {
	want := 2 * int(req.Count)
	if req.Table.IsBits() {
		want = (int(req.Count) + 7) / 8
	}
	if len(data) != want {
		return fmt.Errorf("%w: %d data bytes, want %d: % x", ErrFrame, len(data), want, data[:min(len(data), 64)])
	}
	return nil
}

// decode appends the points of req's fields, read at t.
func (g *pollGroup) decode(points []collectors.Point, req Request, data []byte, t time.Time) ([]collectors.Point, error) {
	for _, i := range req.Fields {
		d, sig := g.refs[i].dev, g.refs[i].dev.signals[g.refs[i].sig]
		raw, err := sig.field.Decode(data, req.Start)
		if err != nil {
			return nil, fmt.Errorf("device %q signal %q: %w", d.id, sig.name, err)
		}
		points = append(points, d.point(sig, raw, t))
	}
	return points, nil
}

// point is a signal's reading: bools as 0/1 with Bool set, numbers scaled.
// Counters are reported raw; consumers handle the wrap (docs/modbus.md).
func (d *device) point(sig signal, raw float64, t time.Time) collectors.Point {
	pt := collectors.Point{Area: d.area, Kind: d.kind, Device: d.id, Signal: sig.name, Quality: collectors.Good, Time: t}
	if sig.field.Type == codec.Bool {
		pt.Value, pt.Bool = raw, true
		return pt
	}
	pt.Value = raw*sig.scale + sig.offset
	return pt
}

func (p *poller) succeeded(ctx context.Context, s *slot, points []collectors.Point, t time.Time) {
	s.attempt, s.failing = 0, 0
	s.advance(t)
	for _, d := range s.g.devices {
		if p.c.markGood(d, t) {
			p.c.metrics.online.WithLabelValues(d.id).Set(1)
			p.c.log.Info("modbus: device online", "gateway", d.gateway, "device", d.id)
			points = append(points, p.statusPoint(d, collectors.Online, t))
		}
	}
	p.publish(ctx, points)
}

// failed counts the failure, schedules a retry if one fits before the next
// regular poll, and otherwise counts a failed poll towards offline for
// every device of the group.
func (p *poller) failed(ctx context.Context, s *slot, err error, t time.Time) {
	g := s.g
	for _, d := range g.devices {
		p.c.metrics.errors.WithLabelValues(d.id, Kind(err)).Inc()
	}
	p.c.log.Debug("modbus: poll failed", "gateway", g.gateway, "unit", g.unit, "err", err)
	s.attempt++
	if retry := t.Add(backoff(s.attempt, g.interval)); s.attempt <= g.retries && retry.Before(s.next.Add(g.interval)) && Kind(err) != "panic" {
		s.due = retry
		for _, d := range g.devices {
			p.c.noteError(d, err)
		}
		return
	}
	s.attempt = 0
	s.failing++
	s.advance(t)
	var points []collectors.Point
	for _, d := range g.devices {
		status, changed := p.c.markFailed(d, err)
		if !changed {
			continue
		}
		p.c.metrics.online.WithLabelValues(d.id).Set(0)
		p.c.log.Warn("modbus: device "+status.String(), "gateway", d.gateway, "device", d.id, "err", err)
		points = append(points, p.statusPoint(d, status, t))
	}
	p.publish(ctx, points)
}

// advance moves the slot to its next regular poll. A poll more than one
// interval late restarts the grid from now instead of bursting to catch up.
func (s *slot) advance(now time.Time) {
	s.next = s.next.Add(s.g.interval)
	if s.next.Before(now.Add(-s.g.interval)) {
		s.next = now
	}
	s.due = s.next
}

func (p *poller) statusPoint(d *device, st collectors.DeviceStatus, t time.Time) collectors.Point {
	q := collectors.Good
	if st != collectors.Online {
		q = collectors.Bad
	}
	return collectors.Point{Site: p.c.site, Area: d.area, Kind: d.kind, Device: d.id,
		Signal: collectors.StatusSignal, Value: float64(st), Quality: q, Time: t}
}

func (p *poller) publish(ctx context.Context, points []collectors.Point) {
	if len(points) == 0 {
		return
	}
	for i := range points {
		points[i].Site = p.c.site
	}
	if err := p.c.sink.Publish(ctx, points); err != nil && ctx.Err() == nil {
		p.c.metrics.publishErrors.Inc()
		p.c.log.Warn("modbus: sink refused points", "gateway", p.cfg.gw.ID, "points", len(points), "err", err)
	}
}
