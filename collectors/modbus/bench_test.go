package modbus

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/collectors"
	"facmon/collectors/sim/modbussim"
	"facmon/internal/site"
)

// mixedSiteSignals is mixedMap as site-file signals.
func mixedSiteSignals() []site.Signal {
	var out []site.Signal
	for i, f := range mixedMap() {
		out = append(out, sig(fmt.Sprintf("s%d", i), f.Table.String(), int(f.Address), f.Type.String(), f.Order.String()))
	}
	return out
}

// benchSite is gateways × units devices with the 100-signal mixed map,
// each gateway a simulator whose units answer after delay.
func benchSite(b *testing.B, gateways, units int, delay, interval time.Duration) (*site.Site, []*modbussim.Server) {
	s := &site.Site{ID: "bench"}
	var sims []*modbussim.Server
	sigs := mixedSiteSignals()
	for g := range gateways {
		sim, err := modbussim.Start(b.Context(), modbussim.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { sim.Close() })
		sims = append(sims, sim)
		id := fmt.Sprintf("gw%d", g)
		s.Modbus.Gateways = append(s.Modbus.Gateways, site.Gateway{ID: id, Transport: "tcp", Address: sim.Addr(), MaxGap: ptr(10)})
		for u := 1; u <= units; u++ {
			sim.AddUnit(uint8(u))
			sim.SetFault(uint8(u), modbussim.Fault{Kind: modbussim.Slow, Delay: delay})
			s.Devices = append(s.Devices, dev(fmt.Sprintf("%s-u%d", id, u), id, u, interval, time.Second, sigs...))
		}
	}
	return s, sims
}

func totalRequests(sims []*modbussim.Server) uint64 {
	var n uint64
	for _, s := range sims {
		n += s.TotalRequests()
	}
	return n
}

// BenchmarkRequestsPerPoll polls 50 slaves × 100 mixed registers (values
// of every width in four byte orders, in two tables) once per iteration
// and counts the requests at the simulator: the protocol minimum is 100.
func BenchmarkRequestsPerPoll(b *testing.B) {
	s, sims := benchSite(b, 1, 50, 0, time.Second)
	c, err := New(Options{Site: s, Sink: &pointLog{}, Registerer: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	p := c.pollers[0]
	client, err := DialGoburrow(p.cfg.gw)
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	sink := c.sink.(*pointLog)
	b.ResetTimer()
	for b.Loop() {
		sink.Reset()
		for _, sl := range p.slots {
			p.poll(ctx, client, sl)
		}
	}
	b.StopTimer()
	perCycle := float64(totalRequests(sims)) / float64(b.N)
	b.ReportMetric(perCycle, "requests/cycle")
	if perCycle != 100 {
		b.Fatalf("%.1f requests per cycle, want the protocol minimum 100", perCycle)
	}
	if n := len(sink.find("gw0-u50", "s99")); n != 1 {
		b.Fatalf("last signal of the last slave read %d times in the last cycle", n)
	}
}

// BenchmarkInterval50UnitsOneGateway: 50 unit ids behind one gateway, 5 ms
// per request, 1 s interval, for 5 s.
func BenchmarkInterval50UnitsOneGateway(b *testing.B) { benchInterval(b, 1, 50) }

// BenchmarkInterval100Devices10Gateways: 10 gateways of 10 units each,
// 5 ms per request, 1 s interval, for 5 s.
func BenchmarkInterval100Devices10Gateways(b *testing.B) { benchInterval(b, 10, 10) }

// benchInterval runs the collector in real time and reports how well every
// device kept its 1 s interval: the largest and mean gap between two polls
// of a device, how long the first cycle over all devices took, and the
// requests each device poll cost (2 is the minimum for the mixed map).
func benchInterval(b *testing.B, gateways, units int) {
	const interval, run = time.Second, 5 * time.Second
	s, sims := benchSite(b, gateways, units, 5*time.Millisecond, interval)
	sink := &pointLog{}
	c, err := New(Options{Site: s, Sink: sink, Registerer: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.Context(), run+interval/2)
	defer cancel()
	b.ResetTimer()
	c.Run(ctx)
	b.StopTimer()
	var maxGap, sumGap time.Duration
	var gaps int
	var lastPoll time.Time
	polls := 0
	for _, d := range s.Devices {
		pts := sink.find(d.ID, "s0")
		polls += len(pts)
		if len(pts) < int(run/interval) {
			b.Fatalf("%s polled %d times in %v", d.ID, len(pts), run)
		}
		for i := 1; i < len(pts); i++ {
			g := pts[i].Time.Sub(pts[i-1].Time)
			maxGap, sumGap, gaps = max(maxGap, g), sumGap+g, gaps+1
		}
		lastPoll = maxTime(lastPoll, pts[0].Time)
	}
	first := slices.MinFunc(sink.find(s.Devices[0].ID, "s0"), func(a, b collectors.Point) int { return a.Time.Compare(b.Time) }).Time
	b.ReportMetric(maxGap.Seconds(), "max-gap-s")
	b.ReportMetric((sumGap / time.Duration(gaps)).Seconds(), "mean-gap-s")
	b.ReportMetric(lastPoll.Sub(first).Seconds(), "first-cycle-s")
	b.ReportMetric(float64(totalRequests(sims))/float64(polls), "requests/poll")
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
