package sim

import (
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/collectors"
	"facmon/collectors/modbus"
	"facmon/deploy/testbed"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// running starts a Sim of s until the test ends; its world starts at the
// tests' simulated start time unless o says otherwise.
func running(t *testing.T, o Options) *Sim {
	t.Helper()
	if o.Start.IsZero() {
		o.Start = testsupport.SimStart(t, o.Site.Location)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// mbpoll reads one value with the outside Modbus master mbpoll.
func mbpoll(t *testing.T, addr string, unit int, typ string, ref int) string {
	t.Helper()
	bin, err := exec.LookPath("mbpoll")
	if err != nil {
		t.Skip("mbpoll not installed (apt-get install mbpoll)")
	}
	host, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command(bin, "-m", "tcp", "-p", port, "-a", strconv.Itoa(unit), "-t", typ, "-0", "-r", strconv.Itoa(ref),
		"-c", "1", "-1", "-o", "2", host).CombinedOutput()
	if err != nil {
		t.Fatalf("mbpoll: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "["+strconv.Itoa(ref)+"]:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "["+strconv.Itoa(ref)+"]:"))
		}
	}
	t.Fatalf("mbpoll printed no value:\n%s", out)
	return ""
}

// TestMbpollReadsTheDemo checks the simulator with an outside Modbus
// master: mbpoll reads the registers the demo site file declares, and
// finds the values the world holds.
func TestMbpollReadsTheDemo(t *testing.T) {
	demo := loadDemo(t)
	demo.MQTT.URL = "" // Modbus only
	s := running(t, Options{Site: demo, ListenAny: true})
	plc, gen := s.Addrs()["pump-room-plc"], s.Addrs()["genset-controller"]
	tests := []struct {
		name      string
		addr      string
		unit      int
		typ       string
		ref       int
		dev, sig  string
		scale     float64
		tolerance float64
	}{
		{"fire tank level, holding cm", plc, 1, "4", 0, "fire-tank-1", "level", 0.01, 0},
		{"domestic tank level, holding cm", plc, 1, "4", 2, "domestic-tank-1", "level", 0.01, 0},
		{"mains present, discrete input", gen, 1, "1", 8, "mains-1", "present", 1, 0},
		{"generator fuel, input register", gen, 1, "3", 0, "generator-1", "fuel_level", 1, 0},
		{"transfer switch position, holding", gen, 2, "4", 0, "transfer-switch-1", "position", 1, 0},
		{"booster current, float32 CDAB", plc, 1, "3:float", 20, "booster-pump-1", "current", 1, 0.001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := strconv.ParseFloat(mbpoll(t, tc.addr, tc.unit, tc.typ, tc.ref), 64)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := s.Value(tc.dev, tc.sig)
			if tc.tolerance == 0 {
				want = float64(int64(want/tc.scale + 0.5))
			}
			if d := got - want; d > tc.tolerance+1 || d < -tc.tolerance-1 {
				t.Errorf("mbpoll read %v, world holds %v (raw)", got, want)
			}
		})
	}
}

// pointLog is a Sink that keeps the last value per device and signal.
type pointLog struct {
	mu   sync.Mutex
	last map[string]float64
}

func (p *pointLog) Publish(_ context.Context, batch []collectors.Point) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		p.last = map[string]float64{}
	}
	for _, pt := range batch {
		p.last[pt.Device+"/"+pt.Signal] = pt.Value
	}
	return nil
}

func (p *pointLog) get(key string) (float64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.last[key]
	return v, ok
}

// collect runs facmon's Modbus collector on the site with the gateway
// addresses rewritten to where the Sim listens.
func collect(t *testing.T, s *site.Site, addrs map[string]string) *pointLog {
	t.Helper()
	UseAddrs(s, addrs)
	log := &pointLog{}
	c, err := modbus.New(modbus.Options{Site: s, Sink: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return log
}

// subscriber collects every message under estate/# on a real broker.
type subscriber struct {
	mu   sync.Mutex
	msgs map[string][]string
}

func subscribe(t *testing.T, url string) *subscriber {
	t.Helper()
	sub := &subscriber{msgs: map[string][]string{}}
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("sim-test-sub"))
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	tok := cl.Subscribe("estate/#", 1, func(_ paho.Client, m paho.Message) {
		sub.mu.Lock()
		sub.msgs[m.Topic()] = append(sub.msgs[m.Topic()], string(m.Payload()))
		sub.mu.Unlock()
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return sub
}

func (s *subscriber) last(topic string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.msgs[topic]
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1]
}

func (s *subscriber) count(topic string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs[topic])
}

// TestDemoEndToEnd runs the whole demo simulator against a real
// Mosquitto and facmon's Modbus collector, and plays each scenario:
// its signal changes must reach a real MQTT subscriber (MQTT devices) or
// the collector (Modbus devices).
func TestDemoEndToEnd(t *testing.T) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	demo := loadDemo(t)
	s := running(t, Options{Site: demo, ListenAny: true, BrokerURL: broker.URL, Speed: 60, Tick: 50 * time.Millisecond})
	sub := subscribe(t, broker.URL)
	points := collect(t, loadDemo(t), s.Addrs())

	t.Run("every payload format arrives", func(t *testing.T) {
		for topic, want := range map[string]string{
			"estate/perimeter/north-wall-1":        `"alarm":0`,
			"estate/fire/fire-panel-1":             `"ts":"`,
			"estate/pump-room/env/room-pump-room":  "room,device=room-pump-room temperature=",
			"estate/doors/door-pump-room":          `{"door":{"forced":0,"open":0}}`,
			"estate/bins/bin-b1-1/fill_level":      "",
			"estate/building-1/env/elevator-pit-1": "elevator_pit,device=elevator-pit-1 ",
		} {
			testsupport.Eventually(t, 10*time.Second, topic, func() bool { return strings.Contains(sub.last(topic), want) && sub.count(topic) > 0 })
		}
	})
	t.Run("meters answer behind the RTU-over-TCP gateway", func(t *testing.T) {
		testsupport.Eventually(t, 10*time.Second, "meter-pv/energy and water-meter-makeup/volume", func() bool {
			_, pv := points.get("meter-pv/energy")
			_, wm := points.get("water-meter-makeup/volume")
			return pv && wm
		})
	})
	t.Run(Intrusion, func(t *testing.T) {
		if err := s.Trigger(Intrusion); err != nil {
			t.Fatal(err)
		}
		testsupport.Eventually(t, 5*time.Second, "north-wall-1 alarm on MQTT", func() bool {
			var m map[string]float64
			return json.Unmarshal([]byte(sub.last("estate/perimeter/north-wall-1")), &m) == nil && m["alarm"] == 1
		})
	})
	t.Run(MainsOutage, func(t *testing.T) {
		if err := s.Trigger(MainsOutage); err != nil {
			t.Fatal(err)
		}
		// At speed 60 the 10 s start delay is a sixth of a second.
		testsupport.Eventually(t, 10*time.Second, "mains lost and generator running, via the collector", func() bool {
			p, _ := points.get("mains-1/present")
			r, _ := points.get("generator-1/running")
			return p == 0 && r == 1
		})
	})
	t.Run(BinFill, func(t *testing.T) {
		if err := s.Trigger(BinFill); err != nil {
			t.Fatal(err)
		}
		testsupport.Eventually(t, 20*time.Second, "bin-b1-1 at 95 % or more on MQTT", func() bool {
			v, err := strconv.ParseFloat(sub.last("estate/bins/bin-b1-1/fill_level"), 64)
			return err == nil && v >= 95
		})
	})
	t.Run(TankDrain, func(t *testing.T) {
		if err := s.Trigger(TankDrain); err != nil {
			t.Fatal(err)
		}
		testsupport.Eventually(t, 10*time.Second, "domestic-inlet-valve-1 fault and closed via the collector", func() bool {
			f, _ := points.get("domestic-inlet-valve-1/fault")
			o, _ := points.get("domestic-inlet-valve-1/open")
			return f == 1 && o == 0
		})
		// The world test follows the level down to the low float; here,
		// at speed 60, it must visibly fall.
		start, _ := points.get("domestic-tank-1/level")
		testsupport.Eventually(t, 20*time.Second, "domestic-tank-1 level falling via the collector", func() bool {
			v, _ := points.get("domestic-tank-1/level")
			return v <= start-0.03
		})
	})
	t.Run(Unplug, func(t *testing.T) {
		if err := s.Trigger(Unplug); err != nil {
			t.Fatal(err)
		}
		testsupport.Eventually(t, 15*time.Second, "transfer-switch-1 offline at the collector", func() bool {
			v, ok := points.get("transfer-switch-1/" + collectors.StatusSignal)
			return ok && collectors.DeviceStatus(v) == collectors.Offline
		})
		// Unit 1 of the same gateway keeps answering.
		if v, ok := points.get("generator-1/" + collectors.StatusSignal); ok && collectors.DeviceStatus(v) != collectors.Online {
			t.Errorf("generator-1, on the unplugged device's gateway, is %v", collectors.DeviceStatus(v))
		}
		n := sub.count("estate/perimeter/north-wall-1")
		testsupport.Eventually(t, 5*time.Second, "another device still publishing", func() bool {
			return sub.count("estate/perimeter/north-wall-2") > 0
		})
		if got := sub.count("estate/perimeter/north-wall-1"); got > n+1 {
			t.Errorf("unplugged north-wall-1 published %d more messages", got-n)
		}
	})
}
