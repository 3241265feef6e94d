package centre

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/alarms"
	"facmon/collectors/influx"
	"facmon/collectors/spool"
	"facmon/deploy/testbed"
	"facmon/internal/site"
	"facmon/internal/testsupport"
)

// lineStore records the lines the centre writes; fail makes it refuse.
type lineStore struct {
	mu    sync.Mutex
	lines []string
	fail  bool
}

func (s *lineStore) PublishLines(_ context.Context, lines [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("spool full")
	}
	for _, l := range lines {
		s.lines = append(s.lines, string(l))
	}
	return nil
}

func (s *lineStore) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.lines
	s.lines = nil
	return out
}

func statusEvent(t *testing.T, topic, body string) event {
	t.Helper()
	ev, ok := decodeMessage(topic, []byte(body))
	if !ok {
		t.Fatalf("%s %s not decoded", topic, body)
	}
	return ev
}

// TestDeviceStatus: the centre keeps each device's status from the site's
// status topic — counts on the tile, the devices in the site detail and
// /api/v1/devices; an older (superseded) message changes nothing; an
// empty retained message removes the device; a status no site publishes
// is refused.
func TestDeviceStatus(t *testing.T) {
	h := newHarness(t, t.TempDir())
	at := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339Nano) }
	send := func(dev, status string, d time.Duration) {
		h.send(t, statusEvent(t, "facmon/s1/status/"+dev, fmt.Sprintf(`{"site":"s1","device":%q,"status":%q,"time":%q}`, dev, status, at(d))))
	}
	send("pump-1", "offline", 0)
	h.send(t, statusEvent(t, "facmon/s1/status/pump-2", fmt.Sprintf(`{"site":"s1","device":"pump-2","name":"2号生活泵","kind":"pump","area":"b1","area_name":"地下泵房","status":"fault","time":%q}`, at(0))))
	send("meter-1", "online", 0)
	tile := h.c.Tiles()[0]
	if tile.DeviceCount != 3 || tile.DevicesOffline != 1 || tile.DevicesFault != 1 {
		t.Fatalf("tile %+v", tile)
	}
	send("pump-1", "online", 2*time.Second)
	send("pump-1", "offline", time.Second) // older: the retained copy of a superseded status
	if tile := h.c.Tiles()[0]; tile.DevicesOffline != 0 {
		t.Fatalf("an older status won: %+v", tile)
	}
	h.send(t, statusEvent(t, "facmon/s1/status/meter-1", ""))
	for _, bad := range [][2]string{
		{"facmon/s1/status/x", `{"status":"broken"}`},
		{"facmon/s1/status/x", `{"site":"s2","status":"online"}`},
		{"facmon/s1/status/x", `{"device":"y","status":"online"}`},
		{"facmon/s1/status/x", `not json`},
		{"facmon/s1/status/", `{"status":"online"}`},
	} {
		if _, ok := decodeMessage(bad[0], []byte(bad[1])); ok {
			t.Errorf("%s %s accepted", bad[0], bad[1])
		}
	}

	mux := http.NewServeMux()
	h.c.Mount(mux.Handle)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	var detail SiteDetail
	getJSON(t, srv.URL+"/api/v1/centre/sites/s1", &detail)
	if detail.Name != "东区" || detail.DeviceCount != 2 || detail.DevicesFault != 1 || len(detail.Devices) != 2 ||
		detail.Devices[0].Device != "pump-1" || detail.Devices[0].Status != "online" || !detail.Devices[0].Since.Equal(t0.Add(2*time.Second)) ||
		detail.Devices[1].Device != "pump-2" || detail.Devices[1].Status != "fault" {
		t.Fatalf("detail %+v", detail)
	}
	var list struct{ Devices []Device }
	getJSON(t, srv.URL+"/api/v1/devices?status=fault", &list)
	if len(list.Devices) != 1 || list.Devices[0].Site != "s1" || list.Devices[0].Area != "s1" ||
		list.Devices[0].Name != "2号生活泵" || list.Devices[0].Kind != "pump" {
		t.Fatalf("devices %+v", list)
	}
	if resp, err := http.Get(srv.URL + "/api/v1/centre/sites/nosuch"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown site: %v %v", err, resp)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestSiteStatusPoints: the centre writes each site's status as a point
// of site_status: every site at first, then a site when its view changed,
// every site again after StatusEvery; what the store refused is written
// on the next tick. The centre's own site-offline alarm is the online
// field, not an alarm count.
func TestSiteStatusPoints(t *testing.T) {
	h := newHarness(t, t.TempDir())
	store := &lineStore{}
	h.c.o.Store, h.c.o.StatusEvery = store, time.Minute
	h.c.cfg.Sites[0].Group = "华东 区"
	ctx := context.Background()
	tick := func(d time.Duration) []string {
		h.clock.Add(d)
		h.c.writeViews(ctx, h.clock.Now())
		return store.take()
	}
	lines := tick(0)
	want := fmt.Sprintf(`site_status,group=华东\ 区,name=东区,site=s1 online=1,worst=0,active=0,unacked=0,active_critical=0,unacked_critical=0,active_major=0,unacked_major=0,active_minor=0,unacked_minor=0,active_warning=0,unacked_warning=0,devices=0,devices_offline=0,devices_fault=0 %d`, t0.UnixNano())
	if len(lines) != 1 || lines[0] != want {
		t.Fatalf("first write:\n%q\nwant\n%q", lines, want)
	}
	if lines := tick(time.Second); len(lines) != 0 {
		t.Fatalf("unchanged but written: %q", lines)
	}
	raise := tr(1, "pz-1", alarms.Raise)
	h.send(t, event{site: "s1", tr: &raise})
	minor := tr(2, "t-1", alarms.Raise)
	minor.ID, minor.Severity = "temp/t-1/1", alarms.Minor
	h.send(t, event{site: "s1", tr: &minor})
	h.send(t, statusEvent(t, "facmon/s1/status/pump-1", fmt.Sprintf(`{"status":"offline","time":%q}`, t0.Format(time.RFC3339))))
	lines = tick(time.Second)
	if len(lines) != 1 || !strings.Contains(lines[0], " online=1,worst=4,active=2,unacked=2,active_critical=1,unacked_critical=1,active_major=0,unacked_major=0,active_minor=1,unacked_minor=1,") ||
		!strings.Contains(lines[0], ",devices=1,devices_offline=1,devices_fault=0 ") {
		t.Fatalf("after a raise: %q", lines)
	}
	ack := raise
	ack.Change, ack.From, ack.To, ack.Seq = alarms.Ack, alarms.ActiveUnacked, alarms.ActiveAcked, 3
	h.send(t, event{site: "s1", tr: &ack})
	store.fail = true
	if lines := tick(time.Second); len(lines) != 0 {
		t.Fatalf("refused lines recorded: %q", lines)
	}
	store.fail = false
	if lines := tick(time.Second); len(lines) != 1 || !strings.Contains(lines[0], ",active=2,unacked=1,active_critical=1,unacked_critical=0,") {
		t.Fatalf("not written again after a refusal: %q", lines)
	}
	h.clock.Add(31 * time.Second) // silent: site-offline
	h.c.check(ctx, &h.wg, h.clock.Now())
	h.c.flush(ctx)
	if lines := tick(0); len(lines) != 1 || !strings.Contains(lines[0], " online=0,worst=4,active=2,") {
		t.Fatalf("offline: %q", lines)
	}
	if lines := tick(time.Minute); len(lines) != 1 {
		t.Fatalf("not written after StatusEvery: %q", lines)
	}
}

// TestGroupViewOnRealServers: a centre on a real Mosquitto takes the
// retained device status of every site when it subscribes and each change
// after, and writes the group's view through the spooled writer into a
// real InfluxDB 1.8, one series per site.
func TestGroupViewOnRealServers(t *testing.T) {
	broker := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	db := testbed.StartInflux(t)
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"transitions":[],"more":false}`))
	}))
	t.Cleanup(empty.Close)
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(broker.URL).SetClientID("sites"))
	if tok := cl.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	publish := func(topic string, retained bool, body string) {
		t.Helper()
		if tok := cl.Publish(topic, 1, retained, body); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", topic, tok.Error())
		}
	}
	status := func(s, dev, st string) {
		publish("facmon/"+s+"/status/"+dev, true, fmt.Sprintf(`{"site":%q,"device":%q,"status":%q,"time":%q}`, s, dev, st, time.Now().UTC().Format(time.RFC3339Nano)))
	}
	// before the centre is up: retained
	status("s1", "pump-1", "offline")
	status("s1", "pump-2", "online")
	status("s2", "meter-1", "fault")

	sp, err := spool.Open(spool.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w, err := influx.New(influx.Options{URL: db.URL, Bucket: db.Bucket(), Spool: sp, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Broker: Broker{URL: broker.URL, ClientID: "centre-view"}, OfflineAfter: site.Duration(time.Minute),
		GapTimeout: site.Duration(time.Minute), Location: time.UTC}
	for _, s := range [][2]string{{"s1", "东区"}, {"s2", "西区"}} {
		cfg.Sites = append(cfg.Sites, Site{ID: s[0], Name: s[1], Group: "华东", URL: empty.URL, Token: "t", Key: site.Secret(strings.Repeat("k", 32))})
	}
	c, err := New(Options{Config: cfg, DataDir: t.TempDir(), Tick: 50 * time.Millisecond, Store: w})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Run(ctx) })
	wg.Go(func() { _ = c.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); sp.Close() })

	tiles := func() map[string]Tile {
		m := map[string]Tile{}
		for _, t := range c.Tiles() {
			m[t.Site] = t
		}
		return m
	}
	testsupport.Eventually(t, 30*time.Second, "retained statuses at the centre", func() bool {
		m := tiles()
		return m["s1"].DeviceCount == 2 && m["s1"].DevicesOffline == 1 && m["s2"].DevicesFault == 1
	})
	status("s1", "pump-1", "online") // a live change
	now := time.Now().UTC().Format(time.RFC3339Nano)
	publish("facmon/s2/alarm", false, fmt.Sprintf(`{"id":"fire/fa-1/1","rule":"fire","site":"s2","device":"fa-1","severity":"critical","change":"raise","from":"normal","to":"active-unacknowledged","time":%q,"active_since":%q,"seq":1}`, now, now))
	testsupport.Eventually(t, 30*time.Second, "live change at the centre", func() bool { return tiles()["s1"].DevicesOffline == 0 })

	type row struct{ offline, fault, critical, online float64 }
	got := map[string]row{}
	testsupport.Eventually(t, 60*time.Second, "site_status in InfluxDB", func() bool {
		r, err := db.Query(`SELECT last("devices_offline"), last("devices_fault"), last("active_critical"), last("online") FROM "site_status" GROUP BY "site", "name", "group"`)
		if err != nil || len(r.Results) == 0 {
			return false
		}
		clear(got)
		for _, s := range r.Results[0].Series {
			v := s.Values[0]
			if s.Tags["group"] != "华东" || (s.Tags["name"] != "东区" && s.Tags["name"] != "西区") {
				t.Fatalf("tags %v", s.Tags)
			}
			got[s.Tags["site"]] = row{v[1].(float64), v[2].(float64), v[3].(float64), v[4].(float64)}
		}
		return got["s1"] == row{0, 0, 0, 1} && got["s2"] == row{0, 1, 1, 1}
	})
}

// TestConfigInflux: the influx section is checked like the rest, each
// error at its place; defaults fill what is left out.
func TestConfigInflux(t *testing.T) {
	read := func(string) ([]byte, error) { return []byte(strings.Repeat("k", 32)), nil }
	base := "broker: {url: tcp://b:1883}\nsites:\n  - {id: s1, url: 'https://s1', token_file: t, key_file: k}\n"
	c, err := ParseConfig("/etc/facmon/centre.yaml", []byte(base+"influx:\n  url: http://influx:8086\n  bucket: facmon/autogen\n  spool: {dir: spool-c}\n"), read)
	if err != nil {
		t.Fatal(err)
	}
	if in := c.Influx; in == nil || time.Duration(in.Interval) != DefaultStatusEvery || in.Spool.Dir != "/etc/facmon/spool-c" ||
		in.Spool.MaxBytes != site.DefaultSpoolMaxBytes || in.Token != "" {
		t.Fatalf("defaults: %+v", c.Influx)
	}
	src := base + `influx:
  url: influx:8086
  interval: 100ms
  token_file: t
  spool: {max_bytes: 1MiB, segment_bytes: 2MiB}
  retention: 30d
`
	_, err = ParseConfig("centre.yaml", []byte(src), read)
	if err == nil || !strings.Contains(err.Error(), `centre.yaml:9:3: influx: unknown key "retention"`) {
		t.Fatalf("unknown key: %v", err)
	}
	_, err = ParseConfig("centre.yaml", []byte(strings.Replace(src, "  retention: 30d\n", "", 1)), read)
	for _, want := range []string{
		`centre.yaml:5:8: influx: url "influx:8086": want http://host:port`,
		`centre.yaml:5:3: influx: bucket missing`,
		`centre.yaml:6:13: influx: interval 100ms: at least 1s`,
		`centre.yaml:8:22: influx.spool: max_bytes 1MiB is below segment_bytes 2MiB`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
