package main

import (
	"testing"
	"time"

	"facmon/alarms"
	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// BenchmarkCentreLatency is the latency figure: 20 real sites
// (each a facmon behind its own Mosquitto, bridged to one central
// Mosquitto) and two `facmon centre` processes on a shared subscription,
// 10 transitions/s at each site (200/s overall) for 20 s. It reports the
// time from the edge (the transition's time at the site) to each centre's
// event stream, p50 and p99 over both centres, side by side with the
// baseline: the same transitions on each site's own event stream (edge →
// its own console), and the p99 ratio.
//
//	go test -run - -bench CentreLatency -benchtime 1x ./cmd/facmon
func BenchmarkCentreLatency(b *testing.B) {
	const sites, perSec, runFor = 20, 10, 20 * time.Second
	central := testbed.StartMosquitto(b, testbed.MosquittoOptions{})
	edges := startEdgeSites(b, sites, central, nil)
	conf := writeCentreConfig(b, central, edges)
	centres := []*centreProc{startCentre(b, "centre-a", conf), startCentre(b, "centre-b", conf)}
	var own []*centreProc // each site's own event stream, read the same way
	for _, e := range edges {
		r := &centreProc{proc: e.facmon, seen: map[string][]alarms.Transition{}, arrived: map[string][]time.Time{}}
		r.follow(b)
		own = append(own, r)
	}
	time.Sleep(3 * time.Second) // heartbeats in, subscriptions settled
	b.ResetTimer()
	start := time.Now()
	loadFor(edges, runFor, perSec)
	end := time.Now()
	why := ""
	testsupport.Eventually(b, 2*time.Minute, "every transition at both centres", func() bool {
		for _, e := range edges {
			want := e.history(b)
			for _, c := range centres {
				if ok, w := c.complete(e.id, want); !ok {
					why = w
					return false
				}
			}
		}
		return true
	}, stringer(func() string { return why }))
	b.StopTimer()
	cn, c50, c99, cWorst := latencyOf(centres, start, end)
	en, e50, e99, _ := latencyOf(own, start, end)
	b.ReportMetric(ms(c50), "centre-p50-ms")
	b.ReportMetric(ms(c99), "centre-p99-ms")
	b.ReportMetric(ms(e50), "edge-p50-ms")
	b.ReportMetric(ms(e99), "edge-p99-ms")
	if e99 > 0 {
		b.ReportMetric(float64(c99)/float64(e99), "p99-centre/edge")
	}
	b.Logf("%d sites at %d/s for %s: %d arrivals at the two centres (p50 %s, p99 %s, worst %s), %d on the sites' own streams (p50 %s, p99 %s)",
		sites, perSec, runFor, cn, c50.Round(time.Millisecond), c99.Round(time.Millisecond), cWorst.Round(time.Millisecond),
		en, e50.Round(time.Millisecond), e99.Round(time.Millisecond))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// latencyOf merges the readers' latencies over the transitions made in
// [from, to): count, p50, p99, worst.
func latencyOf(rs []*centreProc, from, to time.Time) (int, time.Duration, time.Duration, time.Duration) {
	var all []time.Duration
	for _, r := range rs {
		all = append(all, r.latencies(from, to)...)
	}
	return summarize(all)
}
