package sse

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/alarms"
	"facmon/collectors"

	"facmon/internal/testsupport"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func tr(id string) alarms.Transition {
	return alarms.Transition{ID: id, Rule: "zone-alarm", Site: "demo", Device: "zone-3", Severity: alarms.Critical,
		Message: "周界 3 号防区 <img src=x>", Change: alarms.Raise, Time: t0, ActiveSince: t0, To: alarms.ActiveUnacked}
}

func publish(h *Hub, ids ...string) {
	for _, id := range ids {
		_ = h.Transitions(context.Background(), []alarms.Transition{tr(id)})
	}
}

func alarmID(t *testing.T, ev sseEvent) string {
	t.Helper()
	if ev.typ != TypeAlarm {
		t.Fatalf("event %+v, want an alarm", ev)
	}
	var got alarms.Transition
	if err := json.Unmarshal([]byte(ev.data), &got); err != nil {
		t.Fatalf("alarm data %q: %v", ev.data, err)
	}
	return got.ID
}

// readIDs reads n alarm events and returns their alarm ids and event ids.
func readIDs(t *testing.T, c *streamClient, n int) (alarmIDs []string, eventIDs []uint64) {
	t.Helper()
	for range n {
		ev := c.next(t, false)
		alarmIDs = append(alarmIDs, alarmID(t, ev))
		id, err := strconv.ParseUint(ev.id, 10, 64)
		if err != nil {
			t.Fatalf("event id %q: %v", ev.id, err)
		}
		eventIDs = append(eventIDs, id)
	}
	return alarmIDs, eventIDs
}

func TestLiveEventsAndHeaders(t *testing.T) {
	h := startHub(t, Options{})
	c := open(t, h.srv.URL, "")
	for k, want := range map[string]string{"Content-Type": "text/event-stream; charset=utf-8",
		"X-Accel-Buffering": "no", "Cache-Control": "no-store"} {
		if got := c.resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	publish(h.Hub, "a", "b", "c")
	ids, evIDs := readIDs(t, c, 3)
	if strings.Join(ids, ",") != "a,b,c" {
		t.Fatalf("alarms %v", ids)
	}
	first := uint64(t0.UnixMicro())
	if evIDs[0] != first || evIDs[1] != first+1 || evIDs[2] != first+2 {
		t.Fatalf("event ids %v, want consecutive from %d", evIDs, first)
	}
}

// TestResumeGetsExactlyTheMissed: a client that reconnects with
// Last-Event-ID gets every event it missed, in order, once, then live.
func TestResumeGetsExactlyTheMissed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query bool
	}{{"Last-Event-ID header", false}, {"last_event_id query parameter", true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHub(t, Options{})
			c := open(t, h.srv.URL, "")
			publish(h.Hub, "a", "b", "c")
			_, evIDs := readIDs(t, c, 3)
			c.close()
			testsupport.Eventually(t, 15*time.Second, "hub sees the client go", func() bool { return testutil.ToFloat64(h.m.clients) == 0 })
			missed := []string{"d", "e", "f", "g", "h"}
			publish(h.Hub, missed...)
			last := strconv.FormatUint(evIDs[2], 10)
			var c2 *streamClient
			if tc.query {
				c2 = open(t, h.srv.URL+"?last_event_id="+last, "")
			} else {
				c2 = open(t, h.srv.URL, last)
			}
			publish(h.Hub, "live")
			ids, evIDs2 := readIDs(t, c2, len(missed)+1)
			if got := strings.Join(ids, ","); got != "d,e,f,g,h,live" {
				t.Fatalf("after resume got %s", got)
			}
			if evIDs2[0] != evIDs[2]+1 {
				t.Fatalf("first resumed id %d, want %d", evIDs2[0], evIDs[2]+1)
			}
		})
	}
}

// TestResetWhenTooOld: events beyond the ring, an id from the future (a
// facmon that restarted with a clock set back) or garbage get a reset that
// carries the newest id, then live events.
func TestResetWhenTooOld(t *testing.T) {
	h := startHub(t, Options{History: 5})
	first := h.LastID() + 1
	publish(h.Hub, "1", "2", "3", "4", "5", "6", "7", "8")
	newest := h.LastID()
	for _, tc := range []struct{ name, last string }{
		{"older than the ring", strconv.FormatUint(first, 10)},
		{"previous run of facmon", "12345"},
		{"from the future", strconv.FormatUint(newest+10, 10)},
		{"not a number", "abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := open(t, h.srv.URL, tc.last)
			ev := c.next(t, false)
			if ev.typ != TypeReset || ev.id != strconv.FormatUint(newest, 10) {
				t.Fatalf("got %+v, want a reset with id %d", ev, newest)
			}
			c.close()
		})
	}
	t.Run("just inside the ring", func(t *testing.T) {
		c := open(t, h.srv.URL, strconv.FormatUint(newest-5, 10))
		ids, _ := readIDs(t, c, 5)
		if strings.Join(ids, ",") != "4,5,6,7,8" {
			t.Fatalf("got %v", ids)
		}
	})
}

func TestHeartbeat(t *testing.T) {
	h := startHub(t, Options{})
	c := open(t, h.srv.URL, "")
	h.tick <- t0.Add(5 * time.Second)
	ev := c.next(t, true)
	if ev.typ != TypePing || ev.id != "" || !strings.Contains(ev.data, `"time":"2026-11-27T08:00:00Z"`) {
		t.Fatalf("got %+v, want a ping without id", ev)
	}
}

func TestDeviceEvents(t *testing.T) {
	h := startHub(t, Options{})
	c := open(t, h.srv.URL, "")
	err := h.StatusSink().Publish(context.Background(), []collectors.Point{
		{Site: "demo", Area: "b1", Kind: "pump", Device: "pump-1", Signal: "running", Value: 1, Time: t0},
		{Site: "demo", Area: "b1", Kind: "pump", Device: "pump-1", Signal: collectors.StatusSignal,
			Value: float64(collectors.Offline), Quality: collectors.Bad, Time: t0},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Device(DeviceEvent{Site: "demo", Device: "meter-2", Status: "fault", Time: t0, Error: "exception 2"})
	for _, want := range []string{
		`{"site":"demo","area":"b1","kind":"pump","device":"pump-1","status":"offline","time":"2026-11-27T08:00:00Z"}`,
		`{"site":"demo","device":"meter-2","status":"fault","time":"2026-11-27T08:00:00Z","error":"exception 2"}`,
	} {
		if ev := c.next(t, false); ev.typ != TypeDevice || ev.data != want {
			t.Fatalf("got %+v\nwant data %s", ev, want)
		}
	}
}

// TestSlowClientDropped: a client that stops reading is disconnected once
// its buffer is full; the hub keeps publishing at full speed and a client
// that reads gets every event.
func TestSlowClientDropped(t *testing.T) {
	// The good client reads after every 8 events (64 KiB, within a
	// loopback socket's buffer), so a write to it blocks only while the
	// test goroutine is not scheduled; 2 s covers a loaded -race run.
	h := startHub(t, Options{History: 64, ClientBuffer: 64, WriteTimeout: 2 * time.Second})
	good := open(t, h.srv.URL, "")
	slow := stuckClient(t, h.srv.URL)
	pad := strings.Repeat("x", 8<<10)
	sent := 0
	for testutil.ToFloat64(h.m.dropped) == 0 {
		if sent > 50_000 {
			t.Fatal("slow client never dropped")
		}
		for range 8 {
			big := tr(fmt.Sprint(sent))
			big.Message = pad
			_ = h.Transitions(context.Background(), []alarms.Transition{big})
			sent++
		}
		for range 8 { // pace to the good client, which must never fall behind
			good.next(t, false)
		}
	}
	publish(h.Hub, "after")
	for {
		if ev := good.next(t, false); ev.typ == TypeAlarm && alarmID(t, ev) == "after" {
			break
		}
	}
	testsupport.Eventually(t, 15*time.Second, "slow client's handler ends", func() bool { return testutil.ToFloat64(h.m.clients) == 1 })
	t.Logf("slow client dropped after %d events of 8 KiB", sent)
	_ = slow
}

// stuckClient sends a stream request on a raw connection with a small
// receive buffer and never reads.
func stuckClient(t *testing.T, url string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 16), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stuck client: %v", err)
	}
	return conn
}

func TestRunEndDisconnects(t *testing.T) {
	h := startHub(t, Options{})
	c := open(t, h.srv.URL, "")
	h.stop()
	if !c.ended(10 * time.Second) {
		t.Fatal("stream still open after the hub stopped")
	}
	resp, err := http.Get(h.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after stop: %s", resp.Status)
	}
}

// plainWriter hides the Flusher, as a careless middleware would.
type plainWriter struct{ http.ResponseWriter }

type unwrapWriter struct{ http.ResponseWriter }

func (u unwrapWriter) Unwrap() http.ResponseWriter { return u.ResponseWriter }

func TestMiddlewareMustUnwrap(t *testing.T) {
	h := New(Options{})
	for _, tc := range []struct {
		name string
		wrap func(http.ResponseWriter) http.ResponseWriter
		code int
	}{
		{"hides the flusher", func(w http.ResponseWriter) http.ResponseWriter { return plainWriter{w} }, 500},
		{"unwraps", func(w http.ResponseWriter) http.ResponseWriter { return unwrapWriter{w} }, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(tc.wrap(w), r)
			}))
			defer srv.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.code)
			}
		})
	}
}

func TestNaNValueAsNull(t *testing.T) {
	h := startHub(t, Options{})
	c := open(t, h.srv.URL, "")
	bad := tr("nan")
	bad.Value = math.NaN()
	_ = h.Transitions(context.Background(), []alarms.Transition{bad})
	if ev := c.next(t, false); ev.typ != TypeAlarm || !strings.Contains(ev.data, `"value":null`) || !strings.Contains(ev.data, `"id":"nan"`) {
		t.Fatalf("got %+v", ev)
	}
}
