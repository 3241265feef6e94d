package backtest

import (
	"time"

	"facmon/collectors"
	"facmon/internal/site"
)

// Gap is a stretch of the history in which a device recorded nothing for
// longer than Options.Gap. Nothing is made up for it: the engines get no
// point, as a live engine would get none.
type Gap struct {
	Device string    `json:"device"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
}

// Duration is the gap's length.
func (g Gap) Duration() time.Duration { return g.To.Sub(g.From) }

// gapFinder finds gaps from each device's last point. A device recorded
// offline is silent by its status, not by a gap in the data.
type gapFinder struct {
	max     time.Duration
	offline map[string]bool
	order   []string
	last    map[string]time.Time
	gaps    []Gap
}

// newGapFinder watches the devices of s whose values sel reads (a device
// read for its status only has no steady stream to miss).
func newGapFinder(s *site.Site, sel map[string][]string, from time.Time, max time.Duration) *gapFinder {
	g := &gapFinder{max: max, offline: map[string]bool{}, last: make(map[string]time.Time, len(s.Devices))}
	for _, d := range s.Devices {
		if sigs, ok := sel[d.ID]; !ok || (sigs != nil && len(sigs) == 0) {
			continue
		}
		g.order = append(g.order, d.ID)
		g.last[d.ID] = from
	}
	return g
}

func (g *gapFinder) see(p *collectors.Point) {
	last, ok := g.last[p.Device]
	if !ok {
		return
	}
	if p.Time.Sub(last) > g.max && !g.offline[p.Device] {
		g.gaps = append(g.gaps, Gap{Device: p.Device, From: last, To: p.Time})
	}
	if p.Time.After(last) {
		g.last[p.Device] = p.Time
	}
	if p.Signal == collectors.StatusSignal {
		g.offline[p.Device] = collectors.DeviceStatus(p.Value) != collectors.Online
	}
}

// finish adds the gaps that run to the end of the history.
func (g *gapFinder) finish(to time.Time) {
	for _, id := range g.order {
		if last := g.last[id]; to.Sub(last) > g.max && !g.offline[id] {
			g.gaps = append(g.gaps, Gap{Device: id, From: last, To: to})
		}
	}
}

// overlaps reports whether [from, to) of device overlaps one of the gaps
// (to zero: open to the end).
func overlaps(gaps []Gap, device string, from, to time.Time) bool {
	for _, g := range gaps {
		if g.Device == device && g.To.After(from) && (to.IsZero() || g.From.Before(to)) {
			return true
		}
	}
	return false
}
