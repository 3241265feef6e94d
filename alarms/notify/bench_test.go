package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/alarms/engine"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/deploy/testbed"
	"facmon/internal/site"
)

const (
	bgDevices   = 1000
	bgSignals   = 10
	bgPerSecond = 10000
	bgBatch     = 100 // points every 10 ms
)

// bgEngine is a real alarm engine over 1,000 devices of 10 signals with a
// warning rule on each device's s0.
func bgEngine(b *testing.B) *engine.Engine {
	s := &site.Site{ID: "demo", Location: time.UTC, Areas: []site.Area{{ID: "north"}}}
	for d := range bgDevices {
		dev := site.Device{ID: fmt.Sprintf("d%d", d), Kind: "water_tank", Area: "north"}
		for g := range bgSignals {
			dev.Signals = append(dev.Signals, site.Signal{Name: fmt.Sprintf("s%d", g), Type: site.Analog, Unit: "m"})
		}
		s.Devices = append(s.Devices, dev)
	}
	var y strings.Builder
	y.WriteString("rules:\n")
	for d := range bgDevices {
		fmt.Fprintf(&y, "  - {name: bg%d, severity: warning, cite: bench, select: {device: d%d}, signal: s0, threshold: {above: 100, deadband: 5}}\n", d, d)
	}
	f, err := rules.Parse("bench.yaml", []byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	set, err := rules.Validate([]*rules.File{f}, s)
	if err != nil {
		b.Fatal(err)
	}
	return engine.New(engine.Options{Rules: set})
}

// background feeds 10,000 points/s through the engine, one point in a
// hundred crossing its threshold back and forth, and the engine's
// transitions (≈100/s, raises and clears of warning alarms) into the same
// service, which routes them to their own receiver through the same
// outbox. It returns how many points and transitions it made.
func background(ctx context.Context, e *engine.Engine, s *Service) (points, transitions *atomic.Int64) {
	points, transitions = new(atomic.Int64), new(atomic.Int64)
	devNames, sigNames := make([]string, bgDevices), make([]string, bgSignals)
	for i := range devNames {
		devNames[i] = fmt.Sprintf("d%d", i)
	}
	for i := range sigNames {
		sigNames[i] = fmt.Sprintf("s%d", i)
	}
	go func() {
		tick := time.NewTicker(time.Second * bgBatch / bgPerSecond)
		defer tick.Stop()
		n := 0
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				pts := make([]collectors.Point, bgBatch)
				for i := range pts {
					n++
					sig, dev := n%bgSignals, (n/bgSignals)%bgDevices
					v := 50.0
					if sig == 0 && dev%10 == 0 && (n/(bgSignals*bgDevices))%2 == 0 {
						v = 150 // a tenth of the watched signals cross and return: ≈100 transitions/s
					}
					pts[i] = collectors.Point{Site: "demo", Device: devNames[dev], Signal: sigNames[sig], Value: v, Time: now}
				}
				ts := e.Process(pts)
				points.Add(int64(len(pts)))
				transitions.Add(int64(len(ts)))
				if len(ts) > 0 {
					s.Transitions(ctx, ts)
				}
			}
		}
	}()
	return points, transitions
}

// BenchmarkRaiseToWebhook measures an alarm raised → accepted by a direct
// webhook receiver, while 10,000 points/s run through a real engine into
// the same service and outbox. Run with -benchtime=300x for a p99 of 300
// samples. Goal: p99 ≤ 100 ms.
func BenchmarkRaiseToWebhook(b *testing.B) {
	for _, hold := range []time.Duration{0, 50 * time.Millisecond} {
		b.Run(fmt.Sprintf("flood_hold=%s", hold), func(b *testing.B) { benchRaise(b, hold) })
	}
}

func benchRaise(b *testing.B, hold time.Duration) {
	direct, bg := newSinkTB(b), newSinkTB(b)
	n := &site.Notify{FloodHold: site.Duration(hold), FloodWindow: site.Duration(2 * time.Second),
		Receivers: []site.Receiver{
			{Name: "direct", Type: site.ReceiverWebhook, URL: direct.URL(), Timeout: site.Duration(5 * time.Second)},
			{Name: "background", Type: site.ReceiverWebhook, URL: bg.URL(), Timeout: site.Duration(5 * time.Second)},
		},
		Routes: []site.Route{
			{Severities: []string{"critical"}, Receivers: []string{"direct"}},
			{Receivers: []string{"background"}},
		}}
	built, err := Build(n, &http.Client{}, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Options{Notify: n, SiteID: "demo", Receivers: built.Receivers, OutboxDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	points, trs := background(ctx, bgEngine(b), s)
	time.Sleep(time.Second) // let the background settle

	var lat []time.Duration
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		direct.reset()
		r := raise(fmt.Sprintf("intrusion-%d", i), "zone-1", alarms.Critical, time.Now())
		t0 := time.Now()
		s.Transitions(ctx, []alarms.Transition{r})
		lat = append(lat, direct.waitCount(b, 1).Sub(t0))
		s.Transitions(ctx, []alarms.Transition{clearOf(r, time.Now())})
		direct.waitCount(b, 2)
		time.Sleep(10 * time.Millisecond) // alarms apart, not a flood
	}
	el := time.Since(start).Seconds()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(points.Load())/(el+1), "bg-points/s")
	b.ReportMetric(float64(trs.Load())/(el+1), "bg-transitions/s")
}

// BenchmarkAlertmanagerEndToEnd measures alarm raised → webhook receiver
// through a real Alertmanager running the deploy configuration, whose
// critical route has group_wait 5s (deploy/alertmanager/alertmanager.yml).
// Thirty critical alarms on thirty devices (thirty groups) are raised
// 200 ms apart; each latency is from the raise to its arrival.
func BenchmarkAlertmanagerEndToEnd(b *testing.B) {
	hook := newSinkTB(b)
	am := testbed.StartAlertmanager(b, testbed.AlertmanagerOptions{Config: deployConfig(b, hook.URL()+"/am")})
	n := amSite(am.URL)
	built, err := Build(n, &http.Client{}, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Options{Notify: n, SiteID: "demo", Receivers: built.Receivers, Resend: built.Resend, OutboxDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	var lat []time.Duration
	for b.Loop() {
		const alarmsN = 30
		raised := map[string]time.Time{}
		var mu sync.Mutex
		for i := range alarmsN {
			dev := fmt.Sprintf("zone-%d-%d", len(lat), i)
			mu.Lock()
			raised[dev] = time.Now()
			mu.Unlock()
			s.Transitions(ctx, []alarms.Transition{raise("perimeter-intrusion", dev, alarms.Critical, time.Now())})
			time.Sleep(200 * time.Millisecond)
		}
		arrived := map[string]time.Time{}
		deadline := time.Now().Add(60 * time.Second)
		for len(arrived) < alarmsN && time.Now().Before(deadline) {
			for _, g := range hook.requests() {
				var w amWebhook
				if json.Unmarshal(g.Body, &w) != nil || w.Status != "firing" {
					continue
				}
				for _, a := range w.Alerts {
					if _, ok := raised[a.Labels["device"]]; ok {
						if _, seen := arrived[a.Labels["device"]]; !seen {
							arrived[a.Labels["device"]] = g.At
						}
					}
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		for dev, t0 := range raised {
			if at, ok := arrived[dev]; ok {
				lat = append(lat, at.Sub(t0))
			} else {
				b.Errorf("alarm on %s never arrived", dev)
			}
		}
		hook.reset()
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat)), "samples")
}
