package report

import (
	"context"
	"slices"
	"time"

	"facmon/alarms/backtest/history"
	"facmon/collectors"
	"facmon/internal/site"
)

// genWatch follows one generator and its transfer switch.
type genWatch struct {
	dev              *site.Device
	ats              string  // the transfer switch's id, "" if none
	running          float64 // the value of the state "running"
	onGen, onMains   float64 // the switch's positions
	known, isRunning bool
	run              *GeneratorRun
	runs             []GeneratorRun
}

// switchFor pairs a generator with a transfer switch: the one in its
// area, else the site's first.
func switchFor(s *site.Site, g *site.Device) *site.Device {
	var first *site.Device
	for i := range s.Devices {
		d := &s.Devices[i]
		if d.Kind != "transfer_switch" || !hasSignal(d, "position") {
			continue
		}
		if d.Area == g.Area {
			return d
		}
		if first == nil {
			first = d
		}
	}
	return first
}

// plant reads the generators' runs and the tanks' levels.
func plant(ctx context.Context, h *history.Reader, s *site.Site, from, until time.Time) ([]GeneratorRun, []TankLevel, error) {
	sel := map[string][]string{}
	gens := map[string]*genWatch{}
	bySwitch := map[string][]*genWatch{}
	var order []*genWatch
	tanks := map[string]*TankLevel{}
	var tankOrder []*TankLevel
	for i := range s.Devices {
		d := &s.Devices[i]
		switch {
		case d.Kind == "generator" && hasSignal(d, "running"):
			g := &genWatch{dev: d, running: stateValue(d, "running", "running", 1)}
			if sw := switchFor(s, d); sw != nil {
				g.ats = sw.ID
				g.onGen = stateValue(sw, "position", "generator", 1)
				g.onMains = stateValue(sw, "position", "mains", 0)
				sel[sw.ID] = []string{"position"}
				bySwitch[sw.ID] = append(bySwitch[sw.ID], g)
			}
			sel[d.ID] = []string{"running"}
			gens[d.ID] = g
			order = append(order, g)
		case d.Kind == tankKind && hasSignal(d, "level"):
			sel[d.ID] = []string{"level"}
			t := &TankLevel{Device: d.ID, Unit: signalOf(d, "level").Unit}
			tanks[d.ID] = t
			tankOrder = append(tankOrder, t)
		}
	}
	if len(sel) == 0 {
		return nil, nil, nil
	}
	err := h.Read(ctx, s, from.Add(-stateLookBack), until, sel, func(ps []collectors.Point) error {
		for _, pt := range ps {
			switch {
			case pt.Signal == "running" && gens[pt.Device] != nil:
				gens[pt.Device].onRunning(pt, from)
			case pt.Signal == "position":
				for _, g := range bySwitch[pt.Device] {
					g.position(pt.Value, pt.Time)
				}
			case pt.Signal == "level" && tanks[pt.Device] != nil && !pt.Time.Before(from):
				tanks[pt.Device].add(pt.Value, pt.Time)
			}
		}
		return nil
	})
	var runs []GeneratorRun
	for _, g := range order {
		if g.run != nil {
			g.runs = append(g.runs, *g.run)
		}
		runs = append(runs, g.runs...)
	}
	tl := make([]TankLevel, len(tankOrder))
	for i, t := range tankOrder {
		tl[i] = *t
	}
	return runs, tl, err
}

// onRunning takes a point of the generator's running signal.
func (g *genWatch) onRunning(pt collectors.Point, from time.Time) {
	on := pt.Value == g.running
	switch {
	case on && (!g.known || !g.isRunning):
		r := &GeneratorRun{Generator: g.dev.ID, Start: pt.Time}
		if !g.known {
			r.Start = time.Time{} // running since before what was read
		}
		g.run = r
	case !on && g.known && g.isRunning && g.run != nil:
		g.run.Stop = pt.Time
		if !g.run.Stop.Before(from) {
			g.runs = append(g.runs, *g.run)
		}
		g.run = nil
	}
	g.known, g.isRunning = true, on
}

// position takes a point of the transfer switch's position.
func (g *genWatch) position(v float64, t time.Time) {
	r := g.run
	if r == nil {
		return
	}
	switch {
	case v == g.onGen && r.Transfer.IsZero():
		r.Transfer = t
	case v == g.onMains && !r.Transfer.IsZero() && r.Back.IsZero():
		r.Back = t
	}
}

func (t *TankLevel) add(v float64, at time.Time) {
	if t.N == 0 || v < t.Min {
		t.Min, t.MinAt = v, at
	}
	if t.N == 0 || v > t.Max {
		t.Max, t.MaxAt = v, at
	}
	t.N++
}

// meterSignal is the meter's first counter signal.
func meterSignal(d *site.Device) *site.Signal {
	if !slices.Contains(meterKinds, d.Kind) {
		return nil
	}
	for i := range d.Signals {
		if d.Signals[i].Type == site.Counter {
			return &d.Signals[i]
		}
	}
	return nil
}

// meters reads each meter's use in p, the period before and (for a day)
// the same day a week before.
func meters(ctx context.Context, h *history.Reader, s *site.Site, p Period, until time.Time) ([]MeterUse, error) {
	sel := map[string][]string{}
	idx := map[string]int{}
	var out []MeterUse
	for i := range s.Devices {
		d := &s.Devices[i]
		if sg := meterSignal(d); sg != nil {
			sel[d.ID] = []string{sg.Name}
			idx[d.ID] = len(out)
			out = append(out, MeterUse{Device: d.ID, Kind: d.Kind, Signal: sg.Name, Unit: sg.Unit})
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	prev := p.Previous()
	ranges := []struct {
		from, to time.Time
		use      func(*MeterUse) *Use
	}{
		{p.Start, until, func(m *MeterUse) *Use { return &m.Use }},
		{prev.Start, prev.End, func(m *MeterUse) *Use { return &m.Previous }},
	}
	if p.Kind == KindDay {
		wb := p.WeekBefore()
		ranges = append(ranges, struct {
			from, to time.Time
			use      func(*MeterUse) *Use
		}{wb.Start, wb.End, func(m *MeterUse) *Use { return &m.WeekBefore }})
	}
	for _, rg := range ranges {
		last := map[string]float64{}
		err := h.Read(ctx, s, rg.from, rg.to, sel, func(ps []collectors.Point) error {
			for _, pt := range ps {
				i, ok := idx[pt.Device]
				if !ok || pt.Signal != out[i].Signal {
					continue
				}
				u := rg.use(&out[i])
				if prev, seen := last[pt.Device]; seen {
					u.OK = true
					if pt.Value > prev {
						u.Value += pt.Value - prev
					}
				}
				last[pt.Device] = pt.Value
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
