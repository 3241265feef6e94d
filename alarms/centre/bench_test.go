package centre

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/alarms"
	"facmon/alarms/uplink"
	"facmon/deploy/testbed"
	"facmon/internal/site"
)

// BenchmarkCentre500Sites poses as 500 sites on a real Mosquitto: a
// heartbeat from each every 5 s, transitions at a steady rate, then a
// flood — 50 sites losing mains at once, six transitions each. It reports
// the centre's CPU time per 1,000 transitions, its heap after the run and
// the p50/p99 from publishing a transition to its arrival on the centre's
// event stream. One centre process (in-process here), no gap fetches
// (every site's seq runs on without a gap). Run twice in one go: without
// device status, and with it — a device's status changing with every
// tenth transition (20/s over the group) and, in the flood, five devices
// of each of the 50 sites going offline — where the run also waits until
// the tiles count every device offline the sites last published.
//
//	go test -run - -bench Centre500 -benchtime 1x ./alarms/centre
func BenchmarkCentre500Sites(b *testing.B) {
	b.Run("transitions", func(b *testing.B) { centreBench(b, false) })
	b.Run("transitions+status", func(b *testing.B) { centreBench(b, true) })
}

func centreBench(b *testing.B, withStatus bool) {
	const sites, steady, perSec = 500, 4000, 200
	broker := testbed.StartMosquitto(b, testbed.MosquittoOptions{})
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"transitions":[],"more":false}`))
	}))
	defer empty.Close()
	cfg := &Config{Broker: Broker{URL: broker.URL, ClientID: "bench-centre"}, OfflineAfter: site.Duration(time.Minute),
		GapTimeout: site.Duration(time.Minute), Location: time.UTC}
	for i := range sites {
		cfg.Sites = append(cfg.Sites, Site{ID: fmt.Sprintf("s%03d", i), Name: fmt.Sprintf("小区%d", i), URL: empty.URL,
			Token: "t", Key: site.Secret(strings.Repeat("k", 32))})
	}
	c, err := New(Options{Config: cfg, DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = c.Run(ctx) })
	mux := http.NewServeMux()
	c.Mount(mux.Handle)
	srv := httptest.NewServer(mux)
	lat := follow(b, ctx, srv.URL)

	cl := paho.NewClient(paho.NewClientOptions().AddBroker(broker.URL).SetClientID("bench-sites").SetOrderMatters(false).SetMaxResumePubInFlight(1000))
	if tok := cl.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	seq := make([]uint64, sites)
	publish := func(i int, tr alarms.Transition) paho.Token {
		seq[i]++
		tr.Seq, tr.Site, tr.Time = seq[i], cfg.Sites[i].ID, time.Now()
		body, _ := json.Marshal(tr)
		return cl.Publish("facmon/"+cfg.Sites[i].ID+"/alarm", 1, false, body)
	}
	beats := func() {
		for i := range sites {
			hb, _ := json.Marshal(uplink.Heartbeat{Site: cfg.Sites[i].ID, Online: true, Time: time.Now(), Seq: seq[i]})
			cl.Publish("facmon/"+cfg.Sites[i].ID+"/heartbeat", 1, true, hb)
		}
	}
	statuses, lastStatus := 0, map[string]bool{} // site/device → offline
	status := func(i int, dev string, offline bool) paho.Token {
		st := "online"
		if offline {
			st = "offline"
		}
		statuses++
		lastStatus[cfg.Sites[i].ID+"/"+dev] = offline
		body := fmt.Sprintf(`{"site":%q,"device":%q,"status":%q,"time":%q}`, cfg.Sites[i].ID, dev, st, time.Now().UTC().Format(time.RFC3339Nano))
		return cl.Publish("facmon/"+cfg.Sites[i].ID+"/status/"+dev, 1, true, body)
	}
	time.Sleep(2 * time.Second) // subscribed
	beats()
	cpu0, t0 := cpuTime(), time.Now()
	b.ResetTimer()
	sent := 0
	tick := time.NewTicker(time.Second / perSec)
	lastBeat := time.Now()
	for n := range steady {
		<-tick.C
		i := (n * 7) % sites
		dev := fmt.Sprintf("pz-%d", n%4)
		publish(i, alarms.Transition{ID: alarms.AlarmID("intrusion", dev, time.Now()), Rule: "intrusion", Device: dev,
			Severity: alarms.Critical, Change: alarms.Raise, To: alarms.ActiveUnacked})
		sent++
		if withStatus && n%10 == 0 {
			status((n*13)%sites, fmt.Sprintf("dev-%d", n%7), n%20 == 0)
		}
		if time.Since(lastBeat) > 5*time.Second {
			beats()
			lastBeat = time.Now()
		}
	}
	tick.Stop()
	// the flood: 50 sites lose mains at once
	var toks []paho.Token
	for i := range 50 {
		for _, r := range []string{"mains-lost", "ups-on-battery", "generator-start", "transfer", "pump-stopped", "lift-stopped"} {
			toks = append(toks, publish(i, alarms.Transition{ID: alarms.AlarmID(r, "mains", time.Now()), Rule: r, Device: "mains",
				Severity: alarms.Major, Change: alarms.Raise, To: alarms.ActiveUnacked}))
			sent++
		}
		if withStatus {
			for _, dev := range []string{"pump-1", "lift-1", "meter-1", "fan-1", "gate-1"} {
				toks = append(toks, status(i, dev, true))
			}
		}
	}
	for _, tok := range toks {
		tok.WaitTimeout(30 * time.Second)
	}
	deadline := time.Now().Add(60 * time.Second)
	for lat.count() < sent && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	wantOffline := 0
	for _, off := range lastStatus {
		if off {
			wantOffline++
		}
	}
	offline := func() int {
		n := 0
		for _, t := range c.Tiles() {
			n += t.DevicesOffline
		}
		return n
	}
	for offline() != wantOffline && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := offline(); got != wantOffline {
		b.Errorf("tiles count %d devices offline, the sites last published %d", got, wantOffline)
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	wall := time.Since(t0)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	got, p50, p99 := lat.summary()
	b.ReportMetric(float64(cpu.Milliseconds())/float64(sent)*1000, "cpu-ms/1000tr")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.Logf("%d sites, %d transitions sent (%d steady at %d/s, 300 in a flood), %d on the event stream in %s; %d device statuses (%d offline at the end, as on the tiles); process CPU %s (the load generator and SSE reader included)",
		sites, sent, steady, perSec, got, wall.Round(time.Millisecond), statuses, wantOffline, cpu.Round(time.Millisecond))
	cl.Disconnect(100)
	cancel()
	wg.Wait()
	srv.CloseClientConnections()
	srv.Close()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// latencies records publish → event stream times.
type latencies struct {
	mu sync.Mutex
	ds []time.Duration
}

func (l *latencies) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ds)
}

func (l *latencies) summary() (int, time.Duration, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(l.ds)
	slices.Sort(s)
	return len(s), s[len(s)/2], s[len(s)*99/100]
}

func follow(b *testing.B, ctx context.Context, url string) *latencies {
	l := &latencies{}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "data: ") {
				continue
			}
			var tr alarms.Transition
			if json.Unmarshal([]byte(line[6:]), &tr) == nil && tr.Seq > 0 {
				d := time.Since(tr.Time)
				l.mu.Lock()
				l.ds = append(l.ds, d)
				l.mu.Unlock()
			}
		}
	}()
	return l
}
