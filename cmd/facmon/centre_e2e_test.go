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
}

func startEdgeSite(t *testing.T, id string, central *testbed.Mosquitto, extra ...string) *edgeProc {
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
func (e *edgeProc) history(t *testing.T) []alarms.Transition {
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
	mu   sync.Mutex
	seen map[string][]alarms.Transition // by site, in arrival order
}

func startCentre(t *testing.T, name, config string) *centreProc {
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
	c := &centreProc{proc: p, seen: map[string][]alarms.Transition{}}
	c.follow(t)
	return c
}

// follow reads the centre's event stream until the test ends.
func (c *centreProc) follow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/api/v1/events"), nil)
	req.SetBasicAuth(testUser, testPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("event stream: %v", err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		typ := ""
		for sc.Scan() {
			l := sc.Text()
			switch {
			case strings.HasPrefix(l, "event: "):
				typ = strings.TrimPrefix(l, "event: ")
			case strings.HasPrefix(l, "data: ") && typ == "alarm":
				var tr alarms.Transition
				if json.Unmarshal([]byte(strings.TrimPrefix(l, "data: ")), &tr) == nil && tr.Seq > 0 {
					c.mu.Lock()
					c.seen[tr.Site] = append(c.seen[tr.Site], tr)
					c.mu.Unlock()
				}
			}
		}
	})
}

// complete says whether the stream carried exactly the site's
// transitions, each once, in the site's order; why not, if not.
func (c *centreProc) complete(site string, want []alarms.Transition) (bool, string) {
	c.mu.Lock()
	got := append([]alarms.Transition(nil), c.seen[site]...)
	c.mu.Unlock()
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
func writeCentreConfig(t *testing.T, central *testbed.Mosquitto, edges []*edgeProc, extra ...string) string {
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

// load toggles every zone of every site n times, one value each step.
func load(edges []*edgeProc, n int, step time.Duration) {
	var wg sync.WaitGroup
	for _, e := range edges {
		wg.Go(func() {
			for i := range n {
				for d := 1; d <= 4; d++ {
					e.pub.publish(fmt.Sprintf("dev/pz-%d/alarm", d), []byte(fmt.Sprint((i+1)%2)))
				}
				time.Sleep(step)
			}
		})
	}
	wg.Wait()
}

// TestCentreMustShow: sites, each a real facmon behind its own Mosquitto
// bridged to one central Mosquitto, and two `facmon centre` processes on a
// shared subscription. Every transition of every site reaches each
// centre's event stream once, in the site's order — through a central
// broker outage under load, with one site's queued messages deleted at
// its bridge (the centre fetches them by seq), and with one centre killed
// (the other carries on). An ack at the centre lands in the site's
// journal as centre:<user>; forged and replayed commands are refused.
func TestCentreMustShow(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	central := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	var edges []*edgeProc
	sites := 3 // FACMON_CENTRE_SITES=20 for the full size, on a machine of its own
	if n, err := strconv.Atoi(os.Getenv("FACMON_CENTRE_SITES")); err == nil && n > 0 {
		sites = n
	}
	for i := range sites {
		edges = append(edges, startEdgeSite(t, fmt.Sprintf("s%d", i), central))
	}
	conf := writeCentreConfig(t, central, edges)
	a, b := startCentre(t, "centre-a", conf), startCentre(t, "centre-b", conf)
	t.Cleanup(func() {
		if t.Failed() {
			for _, c := range []*centreProc{a, b} {
				var ws []string
				for _, l := range strings.Split(c.log.String(), "\n") {
					if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
						ws = append(ws, l)
					}
				}
				t.Logf("%s log (warnings, last 30):\n%s", c.addr, strings.Join(ws[max(0, len(ws)-30):], "\n"))
			}
		}
	})
	allComplete := func(what string, cs ...*centreProc) {
		t.Helper()
		why := ""
		testsupport.Eventually(t, 90*time.Second, what, func() bool {
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

	start := time.Now()
	load(edges, 20, 50*time.Millisecond)
	allComplete("every transition at both centres, once, in order", a, b)
	t.Logf("phase 1: %d sites × 80 transitions at both centres within %s of the first", len(edges), time.Since(start).Round(time.Millisecond))

	// central broker down under load; site s0's bridge queue deleted
	outage := time.Now()
	central.Stop()
	done := make(chan struct{})
	go func() { load(edges, 20, 50*time.Millisecond); close(done) }()
	time.Sleep(time.Second)
	edges[0].broker.DropQueues(t)
	<-done
	central.Start(t)
	t.Logf("central broker down for %s under load", time.Since(outage).Round(time.Millisecond))
	allComplete("after the central broker's outage and the dropped bridge queue", a, b)
	t.Logf("centre-b: %s", grepLines(httpGet(b.url("/metrics")), "facmon_centre_gap_fetches_total", "facmon_centre_gap_filled", "facmon_centre_transitions_total"))

	// one centre killed: the other carries on
	_ = a.cmd.Process.Kill()
	load(edges, 10, 50*time.Millisecond)
	allComplete("after centre-a was killed", b)

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
	allComplete("the ack transition back at the centre", b)

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
}

type stringer func() string

func (s stringer) String() string { return s() }
