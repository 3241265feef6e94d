package sse

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Run sends a heartbeat to every client each Heartbeat until ctx ends,
// then disconnects every client (so the HTTP server's shutdown does not
// wait for streams) and stops the hub.
func (h *Hub) Run(ctx context.Context) error {
	tick, stop := h.o.Ticker(h.o.Heartbeat)
	defer stop()
	defer h.closeAll()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
			h.ping()
		}
	}
}

func (h *Hub) ping() {
	f := pingFrame(h.o.Now())
	h.mu.Lock()
	defer h.mu.Unlock()
	h.broadcastLocked(f)
}

// ServeHTTP streams events to one client until the client goes, the hub
// drops it or the hub stops. A client resumes with the Last-Event-ID
// header (browsers send it on reconnect) or, on a fresh page, with the
// last_event_id query parameter.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lastID, resume := lastEventID(r)
	c, backlog, ok := h.subscribe(lastID, resume)
	if !ok {
		http.Error(w, "event stream: shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.unsubscribe(c)
	if !canFlush(w) {
		// A middleware wrapped the ResponseWriter without Unwrap: events
		// would sit in a buffer, which is worse than no stream.
		h.log.Error("event stream: the response writer cannot flush; a middleware must implement Unwrap")
		http.Error(w, "event stream: streaming not supported", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	s := stream{w: w, rc: http.NewResponseController(w), timeout: h.o.WriteTimeout}
	if err := s.send(h.hello(backlog)...); err != nil {
		return
	}
	h.pump(r.Context(), c, &s)
}

// hello is what a client gets first: the retry delay, then what it missed
// (or the reset).
func (h *Hub) hello(backlog [][]byte) [][]byte {
	retry := []byte("retry: " + strconv.FormatInt(h.o.Retry.Milliseconds(), 10) + "\n\n")
	return append([][]byte{retry}, backlog...)
}

// pump writes live frames as they come, flushing after each.
func (h *Hub) pump(ctx context.Context, c *client, s *stream) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.gone:
			return
		case f := <-c.ch:
			if err := s.send(f); err != nil {
				h.log.Debug("event stream write failed", "err", err)
				return
			}
		}
	}
}

// canFlush reports whether w, or a writer it wraps (the Unwrap chain
// http.ResponseController follows), can flush.
func canFlush(w http.ResponseWriter) bool {
	for {
		if _, ok := w.(http.Flusher); ok {
			return true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return false
		}
		w = u.Unwrap()
	}
}

// lastEventID reads the client's position: the Last-Event-ID header or the
// last_event_id query parameter. A value that is not a number cannot be
// resumed from, so it asks for a reset (id 0 is older than any event).
func lastEventID(r *http.Request) (uint64, bool) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return 0, false
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, true
	}
	return id, true
}

// stream writes frames to one response with a deadline per write.
type stream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (s *stream) send(frames ...[]byte) error {
	err := s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	if err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	for _, f := range frames {
		if _, err := s.w.Write(f); err != nil {
			return err
		}
	}
	return s.rc.Flush()
}
