package centre

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/alarms/uplink"
	"facmon/internal/site"
	"facmon/internal/testsupport"
)

var t0 = time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)

// edgeHistory is a site's journal as its history API serves it.
type edgeHistory struct {
	mu    sync.Mutex
	ts    []alarms.Transition
	calls int
	token string
}

func (e *edgeHistory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+e.token {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	after, _ := strconv.ParseUint(r.URL.Query().Get("after_seq"), 10, 64)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	var out []alarms.Transition
	more := false
	for _, t := range e.ts {
		if t.Seq > after {
			if len(out) == limit {
				more = true
				break
			}
			out = append(out, t)
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"transitions": out, "more": more})
}

func (e *edgeHistory) add(t alarms.Transition) {
	e.mu.Lock()
	e.ts = append(e.ts, t)
	e.mu.Unlock()
}

type harness struct {
	c     *Centre
	clock *testsupport.Clock
	edge  *edgeHistory
	wg    sync.WaitGroup
}

func newHarness(t *testing.T, dir string) *harness { return newHarnessCap(t, dir, 0) }

func newHarnessCap(t *testing.T, dir string, records int) *harness {
	t.Helper()
	edge := &edgeHistory{token: strings.Repeat("t", 32)}
	srv := httptest.NewServer(edge)
	t.Cleanup(srv.Close)
	cfg := &Config{Broker: Broker{URL: "tcp://127.0.0.1:1"}, OfflineAfter: site.Duration(30 * time.Second),
		GapTimeout: site.Duration(time.Minute), Location: time.UTC,
		Sites: []Site{{ID: "s1", Name: "东区", URL: srv.URL, Token: site.Secret(edge.token), Key: site.Secret(strings.Repeat("k", 32))}}}
	clock := testsupport.NewClock(t0)
	c, err := New(Options{Config: cfg, DataDir: dir, JournalRecords: records, Clock: clock.Now, HTTP: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{c: c, clock: clock, edge: edge}
	t.Cleanup(func() { h.wg.Wait(); c.j.Close() })
	h.link(t, true)
	return h
}

// send hands an event to the centre as Run would, then runs every fetch
// it starts to completion.
func (h *harness) send(t *testing.T, ev event) {
	t.Helper()
	ctx := context.Background()
	h.c.handle(ctx, &h.wg, ev)
	h.c.flush(ctx)
	h.settle(t)
}

// link tells the centre its link to the central broker came up or went
// down, as paho's handlers do.
func (h *harness) link(t *testing.T, up bool) {
	t.Helper()
	h.send(t, event{link: &up})
}

func (h *harness) settle(t *testing.T) {
	t.Helper()
	for {
		select {
		case ev := <-h.c.in:
			h.c.handle(context.Background(), &h.wg, ev)
			h.c.flush(context.Background())
		case <-time.After(200 * time.Millisecond):
			if !h.c.sites["s1"].fetching {
				return
			}
		}
	}
}

func tr(seq uint64, dev string, ch alarms.Change) alarms.Transition {
	return alarms.Transition{ID: "intrusion/" + dev + "/1", Rule: "intrusion", Site: "s1", Device: dev, Severity: alarms.Critical,
		Change: ch, To: alarms.ActiveUnacked, Time: t0, Seq: seq}
}

// journaled returns the site seqs of the centre's journal, in order.
func journaled(t *testing.T, c *Centre) []uint64 {
	t.Helper()
	recs, err := c.j.Since(0)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for i := range recs {
		if tr, ok := transitionOf(&recs[i]); ok && tr.Seq > 0 {
			out = append(out, tr.Seq)
		}
	}
	return out
}

// TestOrderGapsAndDuplicates: transitions are applied in the site's seq
// order exactly once; a gap is filled from the site's history (paged);
// what the broker delivers twice or late is dropped; a heartbeat ahead of
// what arrived fetches the tail the broker lost; the position survives a
// restart.
func TestOrderGapsAndDuplicates(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	var all []alarms.Transition
	for i := range 2500 {
		seq := uint64(i + 1)
		if seq%7 == 0 {
			continue // a non-transition record (zone action, linkage write)
		}
		x := tr(seq, fmt.Sprintf("pz-%d", i%5), alarms.Raise)
		x.ID = fmt.Sprintf("intrusion/pz-%d/%d", i%5, i)
		all = append(all, x)
	}
	for _, x := range all[:2101] {
		h.edge.add(x)
	}
	msg := func(x alarms.Transition) event { return event{site: "s1", tr: &x} }
	h.send(t, msg(all[0]))
	h.send(t, msg(all[1]))
	h.send(t, msg(all[0])) // duplicate
	if h.edge.calls != 0 {
		t.Fatalf("fetched with no gap: %d calls", h.edge.calls)
	}
	h.send(t, msg(all[2100])) // far ahead: fills the gap over three pages
	if got := journaled(t, h.c); len(got) != 2101 {
		t.Fatalf("after the gap fill: %d transitions journaled, want 2101", len(got))
	}
	h.send(t, msg(all[5])) // late copy of a filled one
	for _, x := range all[2101:] {
		h.edge.add(x) // journaled at the site, every message lost
	}
	h.send(t, event{site: "s1", beat: &uplink.Heartbeat{Site: "s1", Online: true, Seq: all[len(all)-1].Seq}})
	got := journaled(t, h.c)
	if len(got) != len(all) {
		t.Fatalf("%d journaled, want %d", len(got), len(all))
	}
	for i := range got {
		if got[i] != all[i].Seq {
			t.Fatalf("journal order: position %d has seq %d, want %d", i, got[i], all[i].Seq)
		}
	}
	if h.edge.calls > 6 {
		t.Errorf("%d fetches for two gaps", h.edge.calls)
	}

	// restart: the position and the board come back; nothing is applied twice
	h.c.j.Close()
	h2 := newHarness(t, dir)
	h2.edge.ts = h.edge.ts
	if s := h2.c.sites["s1"]; s.covered != all[len(all)-1].Seq {
		t.Fatalf("covered after restart %d", s.covered)
	}
	h2.send(t, msg(all[len(all)-1]))
	if n := len(journaled(t, h2.c)); n != len(all) {
		t.Fatalf("after restart and a duplicate: %d journaled", n)
	}
}

// TestSiteOffline: a silent heartbeat past offline_after raises
// site-offline (journaled), a last-will raises it at once, an online
// heartbeat clears it; the tile shows it; acknowledging it is the
// centre's own action.
func TestSiteOffline(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	beat := func(online bool) { h.send(t, event{site: "s1", beat: &uplink.Heartbeat{Site: "s1", Online: online}}) }
	beat(true)
	h.clock.Add(29 * time.Second)
	h.c.check(ctx, &h.wg, h.clock.Now())
	if h.c.sites["s1"].offline != "" {
		t.Fatal("offline before the timeout")
	}
	h.clock.Add(2 * time.Second)
	h.c.check(ctx, &h.wg, h.clock.Now())
	h.c.flush(ctx)
	id := h.c.sites["s1"].offline
	if id == "" || !h.c.Tiles()[0].Offline || h.c.Tiles()[0].Worst != "critical" {
		t.Fatalf("not offline after the timeout: %q %+v", id, h.c.Tiles())
	}
	beat(true)
	if h.c.sites["s1"].offline != "" || h.c.Tiles()[0].Offline {
		t.Fatal("still offline after a heartbeat")
	}
	h.clock.Add(time.Second)
	beat(false) // the last-will
	id = h.c.sites["s1"].offline
	if id == "" {
		t.Fatal("last-will did not raise site-offline")
	}
	done := make(chan error, 1)
	go func() { done <- h.c.Ack(ctx, id, "zhang", time.Time{}) }()
	ev := <-h.c.in
	h.c.handle(ctx, &h.wg, ev)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ts, _, err := h.c.History(ctx, board.HistoryQuery{Rule: []string{SiteOfflineRule}, Limit: 10})
	if err != nil || len(ts) != 4 || ts[0].Change != alarms.Ack || ts[0].By != "zhang" {
		t.Fatalf("history: %v %+v", err, ts)
	}
}

// TestCentreLinkDownRaisesNoSiteOffline: while the centre's own link to
// the central broker is down (every site falls silent at once) no site is
// judged offline by silence; after the link's return a site has a whole
// offline_after to be heard from before it is; a last-will still raises
// site-offline at once.
func TestCentreLinkDownRaisesNoSiteOffline(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	h.send(t, event{site: "s1", beat: &uplink.Heartbeat{Site: "s1", Online: true}})
	h.clock.Add(5 * time.Second)
	h.link(t, false)
	if got := testutil.ToFloat64(h.c.m.linkUp); got != 0 {
		t.Fatalf("facmon_centre_broker_connected %v while down", got)
	}
	h.clock.Add(2 * time.Minute)
	h.c.check(ctx, &h.wg, h.clock.Now())
	if h.c.sites["s1"].offline != "" {
		t.Fatal("site-offline raised while the centre itself was cut off")
	}
	h.link(t, true)
	h.clock.Add(29 * time.Second)
	h.c.check(ctx, &h.wg, h.clock.Now())
	if h.c.sites["s1"].offline != "" {
		t.Fatal("site-offline within offline_after of the link's return")
	}
	h.clock.Add(2 * time.Second)
	h.c.check(ctx, &h.wg, h.clock.Now())
	if h.c.sites["s1"].offline == "" {
		t.Fatal("a site silent for offline_after after the link's return is not offline")
	}
	h.send(t, event{site: "s1", beat: &uplink.Heartbeat{Site: "s1", Online: true}})
	h.link(t, false)
	h.send(t, event{site: "s1", beat: &uplink.Heartbeat{Site: "s1", Online: false}})
	if h.c.sites["s1"].offline == "" {
		t.Fatal("a last-will did not raise site-offline")
	}
}

func TestConfigErrors(t *testing.T) {
	read := func(p string) ([]byte, error) {
		if strings.HasSuffix(p, "short.key") {
			return []byte("x"), nil
		}
		return []byte(strings.Repeat("k", 32)), nil
	}
	src := `name: 集团
broker: {url: tcp://127.0.0.1:1883}
sites:
  - id: s1
    url: https://s1:8080
    token_file: s1.token
    key_file: short.key
  - id: s1
    url: http://s1:8080
    token_file: s1.token
    key_file: s1.key
    colour: red
`
	_, err := ParseConfig("centre.yaml", []byte(src), read)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`centre.yaml:12:5: site "s1": unknown key "colour"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	src = strings.Replace(src, "    colour: red\n", "", 1)
	_, err = ParseConfig("centre.yaml", []byte(src), read)
	for _, want := range []string{
		`centre.yaml:7:15: site "s1": key_file: 1 bytes; at least 32`,
		`centre.yaml:8:9: site "s1": listed twice`,
		`centre.yaml:9:10: site "s1": url "http://s1:8080": the site's API is reached over https://`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	c, err := ParseConfig("centre.yaml", []byte("broker: {url: tcp://b:1883}\nsites:\n  - {id: s1, url: 'https://s1', token_file: t, key_file: k}\n"), read)
	if err != nil || c.Listen != DefaultListen || c.offlineAfter(&c.Sites[0]) != 30*time.Second {
		t.Fatalf("defaults: %v %+v", err, c)
	}
}

// TestRestartPastTheJournalCap: the journal keeps its newest records
// only; a snapshot keeps the site's position and the board, so a restart
// after the records of a raise were dropped neither fetches the site's
// history again nor loses the alarm.
func TestRestartPastTheJournalCap(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessCap(t, dir, 1000)
	ctx := context.Background()
	first := tr(1, "pz-9", alarms.Raise)
	first.ID = "intrusion/pz-9/0"
	h.send(t, event{site: "s1", tr: &first})
	state, seq, err := h.c.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.c.j.Snapshot(ctx, state, seq); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 2600; i++ {
		x := tr(uint64(i), "pz-1", alarms.Raise)
		x.ID = fmt.Sprintf("intrusion/pz-1/%d", i)
		h.c.handle(ctx, &h.wg, event{site: "s1", tr: &x}) // in order: no fetch to wait for
		if i%100 == 0 {
			h.c.flush(ctx)
		}
	}
	h.c.flush(ctx)
	if h.c.j.First() <= 1 {
		t.Fatalf("the cap dropped nothing (first record %d)", h.c.j.First())
	}
	h.c.j.Close()
	h2 := newHarnessCap(t, dir, 1000)
	if got := h2.c.sites["s1"].covered; got != 2600 {
		t.Fatalf("position after restart %d, want 2600", got)
	}
	found := false
	for _, a := range h2.c.board.Alarms(board.ListFilter{}) {
		found = found || a.ID == "s1:"+first.ID
	}
	if !found {
		t.Fatal("the alarm whose records the cap dropped is not on the board after restart")
	}
	if h2.edge.calls != 0 {
		t.Fatalf("fetched %d times after the restart", h2.edge.calls)
	}
}

// TestCatchUpReachesTheStreamInBurstsAReaderHolds: after an outage, the
// answers of gap fetches (up to FetchLimit transitions each) wait for Run
// together. Gathered into one flush they reached the event stream at once,
// more than a reader's buffer (sse.DefaultClientBuffer, 1,024, was the
// centre's): the hub disconnected every console — in a 20-site must-show
// run the test's stream reader, which did not reconnect, so one site
// looked stuck at that centre. Run now flushes in batches a reader's
// buffer holds twice over, each site still in seq order, each once.
func TestCatchUpReachesTheStreamInBurstsAReaderHolds(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	const pages = 3
	for p := range pages {
		f := &fetched{after: uint64(p * FetchLimit), target: uint64((p + 1) * FetchLimit), more: p < pages-1}
		for i := range FetchLimit {
			x := tr(uint64(p*FetchLimit+i+1), fmt.Sprintf("pz-%d", i%4), alarms.Raise)
			x.ID = fmt.Sprintf("intrusion/pz-%d/%d", i%4, p*FetchLimit+i)
			f.ts = append(f.ts, x)
		}
		h.c.in <- event{site: "s1", filled: f}
	}
	flushes := 0
	for len(h.c.in) > 0 { // as Run: one event, what else waits, one flush
		before := h.c.hub.LastID()
		h.c.handle(ctx, &h.wg, <-h.c.in)
		h.c.drainIn(ctx, &h.wg)
		h.c.flush(ctx)
		if n := h.c.hub.LastID() - before; n > StreamBuffer/2 {
			t.Fatalf("one flush put %d transitions on the event stream; a reader's buffer is %d", n, StreamBuffer)
		}
		flushes++
	}
	got := journaled(t, h.c)
	if len(got) != pages*FetchLimit || flushes < 2 {
		t.Fatalf("%d transitions journaled in %d flushes, want %d in more than one", len(got), flushes, pages*FetchLimit)
	}
	for i, seq := range got {
		if seq != uint64(i+1) {
			t.Fatalf("journal position %d has seq %d", i, seq)
		}
	}
	if h.c.sites["s1"].covered != pages*FetchLimit {
		t.Fatalf("covered %d", h.c.sites["s1"].covered)
	}
}
