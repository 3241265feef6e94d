package sse

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// sseEvent is one event as a browser's EventSource would dispatch it.
type sseEvent struct {
	id, typ, data string
}

// streamClient reads a real HTTP event stream.
type streamClient struct {
	resp   *http.Response
	events chan sseEvent
	done   chan struct{} // closed when the stream ends
	cancel context.CancelFunc
}

// open connects to url with a real HTTP client; lastID "" starts fresh.
func open(t *testing.T, url, lastID string) *streamClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	c := &streamClient{resp: resp, events: make(chan sseEvent, 100_000), done: make(chan struct{}), cancel: cancel}
	go c.read()
	t.Cleanup(c.close)
	return c
}

func (c *streamClient) close() {
	c.cancel()
	_ = c.resp.Body.Close()
	<-c.done
}

// read parses the stream as the EventSource spec says: fields until a
// blank line; comments and retry-only blocks dispatch nothing.
func (c *streamClient) read() {
	defer close(c.done)
	sc := bufio.NewScanner(c.resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var ev sseEvent
	var has bool
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if has {
				c.events <- ev
			}
			ev, has = sseEvent{}, false
		case strings.HasPrefix(line, "id: "):
			ev.id, has = line[4:], true
		case strings.HasPrefix(line, "event: "):
			ev.typ, has = line[7:], true
		case strings.HasPrefix(line, "data: "):
			ev.data, has = line[6:], true
		}
	}
}

// next returns the next event of a type other than ping (unless wanted).
func (c *streamClient) next(t *testing.T, pings bool) sseEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-c.events:
			if ev.typ == TypePing && !pings {
				continue
			}
			return ev
		case <-c.done:
			select {
			case ev := <-c.events:
				return ev
			default:
			}
			t.Fatal("stream ended")
		case <-timeout:
			t.Fatal("no event within 10s")
		}
	}
}

// ended reports whether the server closed the stream within d.
func (c *streamClient) ended(d time.Duration) bool {
	select {
	case <-c.done:
		return true
	case <-time.After(d):
		return false
	}
}

// testHub serves a hub on a real httptest.Server with a manual heartbeat
// ticker; stop ends Run.
type testHub struct {
	*Hub
	srv  *httptest.Server
	tick chan time.Time
	stop func()
}

func startHub(t *testing.T, o Options) *testHub {
	t.Helper()
	th := &testHub{tick: make(chan time.Time)}
	o.Ticker = func(time.Duration) (<-chan time.Time, func()) { return th.tick, func() {} }
	if o.Now == nil {
		o.Now = func() time.Time { return t0 }
	}
	th.Hub = New(o)
	th.srv = httptest.NewServer(th.Hub)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = th.Run(ctx) })
	var once sync.Once
	th.stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(func() { th.stop(); th.srv.Close() })
	return th
}
