package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/alarms"
	centrecmd "facmon/alarms/command"
	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

const centreRules = `rules:
  - name: intrusion
    severity: critical
    cite: 篇3·二十二·3
    select: {kind: perimeter_zone}
    signal: alarm
    message: '{{.Device}} 入侵'
    state: {equals: 1}
`

// edgeSiteFile is a small generated site: four perimeter zones fed over
// the site's own broker, linked to the centre; extra is appended (more
// top-level sections).
func edgeSiteFile(id, broker string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `site: %s
name: 小区%s
timezone: Asia/Shanghai
areas:
  - {id: wall, name: 围墙}
mqtt:
  url: %q
  client_id: facmon-%s
  subscriptions:
    - {topic: "dev/{device}/alarm", format: plain, signal: alarm, qos: 1}
rules: [rules.yaml]
centre:
  key_file: centre.key
  heartbeat: 1s
devices:
`, id, id, broker, id)
	for d := 1; d <= 4; d++ {
		fmt.Fprintf(&b, "  - {id: pz-%d, name: 防区%d, kind: perimeter_zone, area: wall, mqtt: {}, signals: [{name: alarm, type: state}]}\n", d, d)
	}
	return b.String() + strings.Join(extra, "")
}

// edgeProc is one site: its Mosquitto bridged to the centre's, its facmon.
type edgeProc struct {
	id     string
	dir    string
	broker *testbed.Mosquitto
	facmon *proc
	pub    *publisher
	token  string
	key    string
	step   int // the next step of loadFor (one goroutine at a time)
}

func startEdgeSite(t testing.TB, id string, central *testbed.Mosquitto, extra ...string) *edgeProc {
	t.Helper()
	e := &edgeProc{id: id, dir: t.TempDir(), key: strings.Repeat(id[len(id)-1:], 40)}
	e.broker = testbed.StartMosquitto(t, testbed.MosquittoOptions{Extra: testbed.BridgeStanza(t, id, central)})
	for name, body := range map[string]string{"site.yaml": edgeSiteFile(id, e.broker.URL, extra...), "rules.yaml": centreRules, "centre.key": e.key} {
		if err := os.WriteFile(filepath.Join(e.dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(e.dir, "data")
	cli(t, "fetch-password-unused\n", "user", "add", "centre-fetch", "--role", "operator", "--data-dir", data)
	e.token = strings.TrimSpace(cli(t, "", "token", "create", "--user", "centre-fetch", "--data-dir", data))
	e.facmon = startFacmon(t, "--config", filepath.Join(e.dir, "site.yaml"), "--data-dir", data)
	pub := newPublisher(t, e.broker.URL)
	e.pub = pub
	return e
}

// history is the site's transitions, oldest first, from its own API.
func (e *edgeProc) history(t testing.TB) []alarms.Transition {
	t.Helper()
	var all []alarms.Transition
	var after uint64
	for {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s?after_seq=%d&limit=1000", e.facmon.url("/api/v1/alarms/history"), after), nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Transitions []alarms.Transition `json:"transitions"`
			More        bool                `json:"more"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("site %s history: %v %s", e.id, err, resp.Status)
		}
		all = append(all, body.Transitions...)
		if !body.More || len(body.Transitions) == 0 {
			return all
		}
		after = body.Transitions[len(body.Transitions)-1].Seq
	}
}

// centreProc is a running `facmon centre` and what its event stream said.
type centreProc struct {
	*proc
	mu      sync.Mutex
	seen    map[string][]alarms.Transition // by site, in arrival order
	arrived map[string][]time.Time         // when each of seen arrived
	// reconnects counts the stream's reconnections (with Last-Event-ID, as
	// a browser does); resets counts "reset" events: events the hub no
	// longer had for the reader.
	reconnects, resets int
}

func startCentre(t testing.TB, name, config string) *centreProc {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	addTestUser(t, []string{"--data-dir", data})
	addr := fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))
	p := &proc{log: &testsupport.LockedBuffer{}, addr: addr}
	p.cmd = exec.Command(facmonBin, "centre", "--config", config, "--data-dir", data, "--listen", addr, "--client-id", name)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	testsupport.Eventually(t, 30*time.Second, name+" /healthz", func() bool { return httpGet(p.url("/healthz")) != "" }, p.log)
	c := &centreProc{proc: p, seen: map[string][]alarms.Transition{}, arrived: map[string][]time.Time{}}
	c.follow(t)
	return c
}

// follow reads the centre's event stream until the test ends. Like a
// browser, it reconnects when the stream ends and resumes with
// Last-Event-ID: the hub disconnects a reader that falls behind by more
// than its buffer (sse.DefaultClientBuffer) and keeps the events for it.
func (c *centreProc) follow(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := c.openStream(ctx, "")
	if err != nil {
		cancel()
		t.Fatalf("event stream: %v", err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() {
		last := ""
		for {
			last = c.read(resp, last)
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(250 * time.Millisecond):
				}
				if resp, err = c.openStream(ctx, last); err == nil {
					break
				}
			}
			c.mu.Lock()
			c.reconnects++
			c.mu.Unlock()
		}
	})
}

func (c *centreProc) openStream(ctx context.Context, lastID string) (*http.Response, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/api/v1/events"), nil)
	req.SetBasicAuth(testUser, testPassword)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("event stream: %s", resp.Status)
	}
	return resp, nil
}

// read takes the stream's alarm events until it ends and returns the id
// of the last event read.
func (c *centreProc) read(resp *http.Response, last string) string {
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	typ := ""
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "id: "):
			last = strings.TrimPrefix(l, "id: ")
		case strings.HasPrefix(l, "event: "):
			typ = strings.TrimPrefix(l, "event: ")
			if typ == "reset" {
				c.mu.Lock()
				c.resets++
				c.mu.Unlock()
			}
		case strings.HasPrefix(l, "data: ") && typ == "alarm":
			var tr alarms.Transition
			if json.Unmarshal([]byte(strings.TrimPrefix(l, "data: ")), &tr) == nil && tr.Seq > 0 {
				now := time.Now()
				c.mu.Lock()
				c.seen[tr.Site] = append(c.seen[tr.Site], tr)
				c.arrived[tr.Site] = append(c.arrived[tr.Site], now)
				c.mu.Unlock()
			}
		}
	}
	return last
}

func (c *centreProc) reconnected() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reconnects
}

// latencies are, for the site transitions made in [from, to), how long
// each took from the edge (the transition's time) to this reader.
func (c *centreProc) latencies(from, to time.Time) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ds []time.Duration
	for site, ts := range c.seen {
		for i, tr := range ts {
			if !tr.Time.Before(from) && tr.Time.Before(to) {
				ds = append(ds, c.arrived[site][i].Sub(tr.Time))
			}
		}
	}
	return ds
}

// summarize gives the count, p50, p99 and worst of ds.
func summarize(ds []time.Duration) (n int, p50, p99, worst time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0, 0
	}
	slices.Sort(ds)
	return len(ds), ds[len(ds)/2], ds[len(ds)*99/100], ds[len(ds)-1]
}

// complete says whether the stream carried exactly the site's
// transitions, each once, in the site's order; why not, if not.
func (c *centreProc) complete(site string, want []alarms.Transition) (bool, string) {
	c.mu.Lock()
	got := append([]alarms.Transition(nil), c.seen[site]...)
	resets := c.resets
	c.mu.Unlock()
	if resets > 0 {
		return false, fmt.Sprintf("%s: the event stream was reset %d times (events lost to the reader)", c.addr, resets)
	}
	for i := range got {
		if i > 0 && got[i].Seq <= got[i-1].Seq {
			return false, fmt.Sprintf("site %s: seq %d after %d (duplicate or out of order)", site, got[i].Seq, got[i-1].Seq)
		}
	}
	if len(got) != len(want) {
		return false, fmt.Sprintf("site %s: %d transitions on the stream, the site journaled %d", site, len(got), len(want))
	}
	for i := range got {
		if got[i].Seq != want[i].Seq || !strings.HasSuffix(got[i].ID, ":"+want[i].ID) || got[i].Change != want[i].Change {
			return false, fmt.Sprintf("site %s: position %d is %d %s, want %d %s", site, i, got[i].Seq, got[i].ID, want[i].Seq, want[i].ID)
		}
	}
	return true, ""
}

// writeCentreConfig writes centre.yaml for the edges; extra is appended
// (more top-level sections).
func writeCentreConfig(t testing.TB, central *testbed.Mosquitto, edges []*edgeProc, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "name: 集团监控中心\ntimezone: Asia/Shanghai\nbroker: {url: %q}\noffline_after: 5s\ngap_timeout: 2m\nsites:\n", central.URL)
	for _, e := range edges {
		for name, v := range map[string]string{e.id + ".token": e.token, e.id + ".key": e.key} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&b, "  - {id: %s, name: 小区%s, url: %q, token_file: %s.token, key_file: %s.key}\n", e.id, e.id, "http://"+e.facmon.addr, e.id, e.id)
	}
	b.WriteString(strings.Join(extra, ""))
	p := filepath.Join(dir, "centre.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// influxSection is the site file's storage section writing to in (through
// the site's spool).
func influxSection(in *testbed.Influx) string {
	return fmt.Sprintf("storage:\n  influx: {url: %q, bucket: %q, flush_interval: 200ms}\n", in.URL, in.Bucket())
}

// startEdgeSites starts sites s0…s<n-1>, four at a time.
func startEdgeSites(t testing.TB, n int, central *testbed.Mosquitto, influx *testbed.Influx) []*edgeProc {
	t.Helper()
	edges := make([]*edgeProc, n)
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4)
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			var extra []string
			if influx != nil {
				extra = append(extra, influxSection(influx))
			}
			edges[i] = startEdgeSite(t, fmt.Sprintf("s%d", i), central, extra...)
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return edges
}

// loadFor changes one zone of every site perSec times a second, the zones
// in turn (each change is one transition at the site), for d.
func loadFor(edges []*edgeProc, d time.Duration, perSec int) {
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for _, e := range edges {
		wg.Go(func() {
			tick := time.NewTicker(time.Second / time.Duration(perSec))
			defer tick.Stop()
			for time.Now().Before(end) {
				i := e.step
				e.step++
				e.pub.publish(fmt.Sprintf("dev/pz-%d/alarm", i%4+1), []byte(fmt.Sprint((i/4+1)%2)))
				<-tick.C
			}
		})
	}
	wg.Wait()
}

// wholeLines are the lines a site writes whole, one point each: alarm
// transitions, the journal head, a device's status — by measurement, the
// field every such line has and the others it may have. Every other field
// is one point (a device's signal at one time; the self-check's alarm
// figures share the "alarm" measurement with the transitions).
var wholeLines = map[string]struct {
	key    string
	fields []string
}{
	"alarm":         {"id", []string{"active_seconds", "by", "change", "cite", "hold", "message", "signal", "state", "value"}},
	"journal_head":  {"seq", []string{"hash"}},
	"device_status": {"status", []string{"online"}},
}

// influxPoints counts site's points in the central InfluxDB, as the site
// counts what it accepted (facmon_points_accepted_total).
func influxPoints(t testing.TB, in *testbed.Influx, site string) int64 {
	t.Helper()
	r, err := in.Query(fmt.Sprintf(`SELECT count(*) FROM /.*/ WHERE site = '%s'`, site))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, res := range r.Results {
		for _, ser := range res.Series {
			for _, row := range ser.Values {
				for i, col := range ser.Columns {
					f, ok := row[i].(float64)
					field := strings.TrimPrefix(col, "count_")
					if ok && col != "time" && !slices.Contains(wholeLines[ser.Name].fields, field) {
						n += int64(f) // the line's key, or a field that is a point
					}
				}
			}
		}
	}
	return n
}

// logWarnings are the last n warning and error lines of a log.
func logWarnings(log string, n int) string {
	var ws []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			ws = append(ws, l)
		}
	}
	return strings.Join(ws[max(0, len(ws)-n):], "\n")
}

// mustShowSize is the size of TestCentreMustShow: the 20 sites and
// 60 s outage; FACMON_CENTRE_SITES and FACMON_CENTRE_OUTAGE (a duration)
// change them.
func mustShowSize() (sites int, outage time.Duration) {
	sites, outage = 20, 60*time.Second
	if n, err := strconv.Atoi(os.Getenv("FACMON_CENTRE_SITES")); err == nil && n >= 3 {
		sites = n
	}
	if d, err := time.ParseDuration(os.Getenv("FACMON_CENTRE_OUTAGE")); err == nil && d >= 4*time.Second {
		outage = d
	}
	return sites, outage
}

// TestCentreMustShow: sites, each a real facmon behind its own Mosquitto
// bridged to one central Mosquitto and writing to one central InfluxDB
// through its spool, and two `facmon centre` processes on a shared
// subscription. At 10 transitions/s a site, every transition of every
// site reaches each centre's event stream once, in the site's order (the
// edge → centre latency is logged) — through an outage of the central
// broker and InfluxDB under load, with one site's queued messages deleted
// at its bridge mid-outage and another's at the end of it (the centre
// fetches them by seq: the first gap shows when later transitions come,
// the second only by the heartbeat's journal head), and with one centre
// killed (the other carries on). Every point each site accepted is in the
// central InfluxDB once. An ack at the centre lands in the site's journal
// as centre:<user>; forged and replayed commands are refused.
func TestCentreMustShow(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	const perSec = 10 // transitions a second at each site
	began := time.Now()
	n, outageLen := mustShowSize()
	central := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	influx := testbed.StartInflux(t)
	edges := startEdgeSites(t, n, central, influx)
	conf := writeCentreConfig(t, central, edges)
	a, b := startCentre(t, "centre-a", conf), startCentre(t, "centre-b", conf)
	t.Logf("%d sites and two centres up in %s", n, time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			for _, c := range []*centreProc{a, b} {
				t.Logf("%s log (warnings, last 30):\n%s", c.addr, logWarnings(c.log.String(), 30))
			}
		}
	})
	allComplete := func(what string, within time.Duration, cs ...*centreProc) {
		t.Helper()
		why := ""
		testsupport.Eventually(t, within, what, func() bool {
			for _, e := range edges {
				want := e.history(t)
				for _, c := range cs {
					if ok, w := c.complete(e.id, want); !ok {
						why = w
						return false
					}
				}
			}
			return true
		}, stringer(func() string { return why }))
	}

	// steady load: 10 transitions/s at each site
	start := time.Now()
	loadFor(edges, 10*time.Second, perSec)
	end := time.Now()
	allComplete("every transition at both centres, once, in order", 90*time.Second, a, b)
	for _, c := range []*centreProc{a, b} {
		k, p50, p99, worst := summarize(c.latencies(start, end))
		t.Logf("phase 1: %d sites at %d/s, %s: %d transitions, edge → event stream p50 %s, p99 %s, worst %s",
			n, perSec, c.addr, k, p50.Round(time.Millisecond), p99.Round(time.Millisecond), worst.Round(time.Millisecond))
	}

	// the central broker and InfluxDB down under load; site s0's bridge
	// queue deleted halfway, s1's at the end (its last transitions are
	// then only in its journal: the heartbeat's head reveals them)
	outage := time.Now()
	central.Stop()
	influx.Stop()
	done := make(chan struct{})
	go func() { loadFor(edges, outageLen, perSec); close(done) }()
	time.Sleep(outageLen / 2)
	edges[0].broker.DropQueues(t)
	<-done
	edges[1].broker.DropQueues(t)
	central.Start(t)
	influx.Start(t)
	t.Logf("central broker and InfluxDB down for %s under load", time.Since(outage).Round(time.Millisecond))
	back := time.Now()
	allComplete("after the central broker's outage and the dropped bridge queues", 3*time.Minute, a, b)
	t.Logf("phase 2: every site complete at both centres %s after the broker came back", time.Since(back).Round(time.Millisecond))
	t.Logf("centre-b: %s", grepLines(httpGet(b.url("/metrics")), "facmon_centre_gap_fetches_total", "facmon_centre_gap_filled", "facmon_centre_transitions_total"))

	// one centre killed: the other carries on
	_ = a.cmd.Process.Kill()
	loadFor(edges, 5*time.Second, perSec)
	allComplete("after centre-a was killed", 90*time.Second, b)

	// an ack at the centre lands in the site's journal as centre:<user>
	var raised alarms.Transition
	for _, tr := range edges[1].history(t) {
		if tr.Change == alarms.Raise {
			raised = tr
		}
	}
	req, _ := http.NewRequest(http.MethodPost, b.url("/api/v1/alarms/"+url.PathEscape(edges[1].id+":"+raised.ID)+"/ack"), strings.NewReader("{}"))
	req.SetBasicAuth(testUser, testPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("ack at the centre: %s", resp.Status)
	}
	testsupport.Eventually(t, 30*time.Second, "the ack in the site's journal as centre:"+testUser, func() bool {
		for _, tr := range edges[1].history(t) {
			if tr.ID == raised.ID && tr.Change == alarms.Ack && tr.By == "centre:"+testUser {
				return true
			}
		}
		return false
	})
	allComplete("the ack transition back at the centre", 90*time.Second, b)

	// forged and replayed commands, sent on the central broker
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(central.URL).SetClientID("intruder"))
	if tok := cl.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer cl.Disconnect(100)
	forged, _ := centrecmd.Sign(centrecmd.NewAck(edges[2].id, "intrusion/pz-1/1", "mallory", time.Now()), []byte(strings.Repeat("x", 32)))
	good, _ := centrecmd.Sign(centrecmd.NewAck(edges[2].id, "intrusion/pz-1/1", "replayer", time.Now()), []byte(edges[2].key))
	for _, m := range [][]byte{forged, good, good} {
		cl.Publish("facmon/"+edges[2].id+"/command/ack", 1, false, m).WaitTimeout(20 * time.Second)
	}
	testsupport.Eventually(t, 30*time.Second, "forged and replayed commands refused", func() bool {
		return edges[2].facmon.metric(`facmon_centre_commands_total{result="refused"}`) == "3"
	})

	// every point each site accepted is in the central InfluxDB, once:
	// the site's count equal to InfluxDB's, read before and after (the
	// site's self-check goes on writing)
	var total int64
	for _, e := range edges {
		why := ""
		testsupport.Eventually(t, 2*time.Minute, "site "+e.id+"'s accepted points in the central InfluxDB", func() bool {
			before := e.facmon.metric("facmon_points_accepted_total")
			n := influxPoints(t, influx, e.id)
			after := e.facmon.metric("facmon_points_accepted_total")
			acc, _ := strconv.ParseFloat(before, 64)
			if before == "" || before != after || int64(acc) != n {
				r, _ := influx.Query(fmt.Sprintf(`SELECT count(*) FROM /.*/ WHERE site = '%s'`, e.id))
				b, _ := json.Marshal(r)
				why = fmt.Sprintf("accepted %s then %s, in InfluxDB %d\n%s\n%s\n%s", before, after, n, b,
					grepLines(httpGet(e.facmon.url("/metrics")), "facmon_points", "facmon_write_errors"),
					logWarnings(e.facmon.log.String(), 20))
				return false
			}
			total += n
			return true
		}, stringer(func() string { return why }))
	}
	t.Logf("central InfluxDB: %d points from %d sites, each site's count equal to what it accepted; reconnects of the test's event stream readers: %d, %d; whole test %s",
		total, n, a.reconnected(), b.reconnected(), time.Since(began).Round(time.Second))
}

type stringer func() string

func (s stringer) String() string { return s() }
