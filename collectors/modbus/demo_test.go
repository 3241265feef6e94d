package modbus

import (
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"facmon/collectors"
	"facmon/collectors/sim/modbussim"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// TestDemoSite loads the demo community through the real site loader,
// serves its Modbus devices with modbussim, and polls them: every Modbus
// device comes online and reports the value the simulator holds for each
// signal, at the planned request count.
func TestDemoSite(t *testing.T) {
	const path = "../../seeds/sites/demo.yaml"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no demo site: %v", err)
	}
	s, err := site.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sims, err := modbussim.StartSite(t.Context(), s, modbussim.SiteOptions{Listen: func(site.Gateway) string { return "127.0.0.1:0" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sims.Close() })
	for i, g := range s.Modbus.Gateways {
		if srv := sims.Server(g.ID); srv != nil {
			s.Modbus.Gateways[i].Address = srv.Addr()
		}
	}
	want := make(map[[2]string]float64)
	n := 0
	for _, d := range s.Devices {
		if d.Modbus == nil || sims.Server(d.Modbus.Gateway) == nil {
			continue
		}
		d.Modbus.Interval = site.Duration(50 * time.Millisecond)
		for _, sg := range d.Signals {
			if sg.Modbus == nil {
				continue
			}
			n++
			v := float64(n % 2)
			if sg.Modbus.Type != "bool" {
				v = demoValue(sg, n)
			}
			if err := sims.Set(d.ID, sg.Name, v); err != nil {
				t.Fatal(err)
			}
			want[[2]string{d.ID, sg.Name}] = v
		}
	}
	h := run(t, s)
	testsupport.Eventually(t, 10*time.Second, "every Modbus signal read", func() bool {
		for k := range want {
			if len(h.sink.find(k[0], k[1])) == 0 {
				return false
			}
		}
		return true
	})
	for k, w := range want {
		if got := h.sink.find(k[0], k[1])[0].Value; math.Abs(got-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("%s %s = %v, want %v", k[0], k[1], got, w)
		}
	}
	for _, st := range h.c.Status() {
		if pts := h.sink.statuses(st.Device); len(pts) == 0 || pts[0] != collectors.Online {
			t.Errorf("%s statuses %v, want online first", st.Device, pts)
		}
	}
	t.Logf("%d Modbus signals on %d devices; reads per cycle by gateway: %s", len(want), len(h.c.Status()), readsPerGateway(h.c))
}

// demoValue is a value the signal's register can hold exactly after scale.
func demoValue(sg site.Signal, n int) float64 {
	scale := 1.0
	if sg.Scale != nil {
		scale = *sg.Scale
	}
	return float64(n*7%200) * scale
}

func readsPerGateway(c *Collector) string {
	out := ""
	for _, p := range c.pollers {
		reads := 0
		for _, g := range p.cfg.groups {
			reads += len(g.plan)
		}
		out += fmt.Sprintf("%s=%d ", p.cfg.gw.ID, reads)
	}
	return out
}
