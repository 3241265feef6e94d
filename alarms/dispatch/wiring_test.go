package dispatch_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/dispatch"
	"facmon/alarms/influxout"
	"facmon/alarms/mqttout"
	"facmon/alarms/sse"
	"facmon/collectors/influx"
	"facmon/collectors/mqtt"
	"facmon/collectors/spool"
	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func raise(device string, sec int) alarms.Transition {
	at := t0.Add(time.Duration(sec) * time.Second)
	return alarms.Transition{ID: alarms.AlarmID("zone-alarm", device, at), Rule: "zone-alarm", Site: "demo",
		Area: "perimeter", Kind: "perimeter_zone", Device: device, Severity: alarms.Critical,
		Message: "周界报警", Cite: "篇3·二十二·3", Change: alarms.Raise, Value: 1, Time: at, ActiveSince: at,
		From: alarms.Normal, To: alarms.ActiveUnacked}
}

// run runs f until the test ends.
func run(t *testing.T, f func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = f(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// stack is every alarm output wired as main wires them, on real servers.
type stack struct {
	d      *dispatch.Dispatcher
	broker *testbed.Mosquitto
	db     *testbed.Influx
	web    *httptest.Server
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{broker: testbed.StartMosquitto(t, testbed.MosquittoOptions{}), db: testbed.StartInflux(t)}
	sp, err := spool.Open(spool.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sp.Close() })
	w, err := influx.New(influx.Options{URL: s.db.URL, Bucket: s.db.Bucket(), Spool: sp, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	run(t, w.Run)
	influxOut, _ := influxout.New(influxout.Options{Sink: w})
	mo, _ := mqttout.New(mqttout.Options{Publisher: mqtt.NewPublisher(mqtt.PublisherOptions{
		Client: connect(t, s.broker.URL, "facmon"), Site: "demo", Timeout: time.Second})})
	hub := sse.New(sse.Options{})
	run(t, hub.Run)
	b := board.New(board.Options{
		User: func(r *http.Request) string { return r.Header.Get("X-User") },
		// The engine acknowledges and emits the ack transition to the
		// dispatcher; here a closure does what the engine does.
		Acker: board.AckerFunc(func(ctx context.Context, id, user string, at time.Time) error {
			tr := raise("zone-1", 0)
			if id != tr.ID {
				return board.ErrNotAckable
			}
			tr.Change, tr.From, tr.To, tr.By, tr.Time = alarms.Ack, alarms.ActiveUnacked, alarms.ActiveAcked, user, at
			return s.d.Transitions(ctx, []alarms.Transition{tr})
		}),
	})
	s.d, err = dispatch.New(dispatch.Options{Targets: []dispatch.Target{
		{Name: "board", Output: b}, {Name: "sse", Output: hub},
		{Name: "mqtt", Output: mo, Queue: 16}, {Name: "influx", Output: influxOut},
	}})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s.d.Run)
	mux := http.NewServeMux()
	b.Mount(mux.Handle)
	mux.Handle("GET /api/v1/events", hub)
	s.web = httptest.NewServer(mux)
	t.Cleanup(s.web.Close)
	return s
}

func connect(t *testing.T, url, id string) paho.Client {
	t.Helper()
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetAutoReconnect(true).
		SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond))
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", id, tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	return cl
}

// events reads alarm events of the stream into a channel.
func events(t *testing.T, url string) <-chan alarms.Transition {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan alarms.Transition, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(resp.Body)
		alarm := false
		for sc.Scan() {
			line := sc.Text()
			alarm = alarm || line == "event: alarm"
			if data, ok := strings.CutPrefix(line, "data: "); ok && alarm {
				var tr alarms.Transition
				_ = json.Unmarshal([]byte(data), &tr)
				ch <- tr
			}
			if line == "" {
				alarm = false
			}
		}
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	return ch
}

func next(t *testing.T, ch <-chan alarms.Transition, within time.Duration) alarms.Transition {
	t.Helper()
	select {
	case tr := <-ch:
		return tr
	case <-time.After(within):
		t.Fatalf("no alarm event within %v", within)
	}
	return alarms.Transition{}
}

func boardStates(t *testing.T, web string) string {
	t.Helper()
	resp, err := http.Get(web + "/api/v1/alarms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lr board.ListResponse
	if err := json.NewDecoder(resp.Body).Decode(&lr); err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, a := range lr.Alarms {
		s = append(s, a.Device+"="+a.State.String())
	}
	return strings.Join(s, " ")
}

// TestWiredOutputs drives every alarm output through one dispatcher on
// real servers: a raise reaches the board, the event stream, an MQTT
// subscriber and InfluxDB; an ack over HTTP comes back as a transition
// everywhere; with the MQTT broker dead the other outputs keep up.
func TestWiredOutputs(t *testing.T) {
	s := newStack(t)
	stream := events(t, s.web.URL+"/api/v1/events")
	var mu sync.Mutex
	var mqttGot []string
	sub := connect(t, s.broker.URL, "centre")
	sub.Subscribe("facmon/demo/alarm", 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		defer mu.Unlock()
		mqttGot = append(mqttGot, string(m.Payload()))
	}).WaitTimeout(10 * time.Second)

	r := raise("zone-1", 0)
	_ = s.d.Transitions(context.Background(), []alarms.Transition{r})
	if got := next(t, stream, 5*time.Second); got.ID != r.ID || got.Change != alarms.Raise {
		t.Fatalf("stream got %+v", got)
	}
	testsupport.Eventually(t, 5*time.Second, "board shows the raise", func() bool {
		return boardStates(t, s.web.URL) == "zone-1=active-unacknowledged"
	})
	testsupport.Eventually(t, 10*time.Second, "MQTT subscriber gets the raise", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(mqttGot) == 1 && strings.Contains(mqttGot[0], `"change":"raise"`)
	})

	req, _ := http.NewRequest(http.MethodPost, s.web.URL+"/api/v1/alarms/"+url.PathEscape(r.ID)+"/ack", nil)
	req.Header.Set("X-User", "op1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("ack: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	if got := next(t, stream, 5*time.Second); got.Change != alarms.Ack || got.By != "op1" {
		t.Fatalf("stream got %+v, want the ack by op1", got)
	}
	testsupport.Eventually(t, 5*time.Second, "board shows the ack", func() bool {
		return boardStates(t, s.web.URL) == "zone-1=active-acknowledged"
	})

	s.broker.Stop()
	start := time.Now()
	for i := range 5 {
		_ = s.d.Transitions(context.Background(), []alarms.Transition{raise(fmt.Sprint("zone-", i+2), i+1)})
	}
	for range 5 {
		next(t, stream, 5*time.Second)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("with MQTT dead the stream took %v for 5 alarms", d)
	}
	testsupport.Eventually(t, 30*time.Second, "InfluxDB has all 7 transitions", func() bool {
		n, err := s.db.Count(`SELECT count("id") FROM "alarm"`)
		return err == nil && n == 7
	})
}
