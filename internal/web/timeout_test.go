package web

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowServer runs a server with short timeouts: a POST route that reads
// its body, and a GET stream that writes for longer than the read timeout.
func slowServer(t *testing.T) string {
	t.Helper()
	s := New(Options{Listen: "127.0.0.1:0", Timeouts: Timeouts{ReadHeader: time.Second, Read: 2 * time.Second, Idle: 2 * time.Second}})
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(b)
	}))
	s.Handle("GET /stream", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 8 {
			fmt.Fprintf(w, "line %d\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s.Addr().String()
}

// trickle sends head at once, then rest one byte every 300 ms, and
// reports how long the server kept the connection open.
func trickle(t *testing.T, addr, head, rest string) time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_, _ = io.Copy(io.Discard, c) // returns when the server closes
	}()
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-closed:
			return time.Since(start)
		case <-tick.C:
			if i < len(rest) {
				_, _ = c.Write([]byte{rest[i]})
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the server kept a trickling connection open for 30 s")
		}
	}
}

// TestSlowlorisIsCutOff: a client trickling its headers, or its body, one
// byte at a time is disconnected by the read timeouts; a long response
// (the event stream) is not cut by them.
func TestSlowlorisIsCutOff(t *testing.T) {
	addr := slowServer(t)
	t.Run("headers", func(t *testing.T) {
		d := trickle(t, addr, "POST /echo HTTP/1.1\r\nHost: x\r\n", strings.Repeat("X-Slow: a\r\n", 100))
		t.Logf("trickled headers cut after %v (read header timeout 1s)", d.Round(100*time.Millisecond))
	})
	t.Run("body", func(t *testing.T) {
		d := trickle(t, addr, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", strings.Repeat("b", 1000))
		t.Logf("trickled body cut after %v (read timeout 2s)", d.Round(100*time.Millisecond))
	})
	t.Run("stream outlives the read timeout", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/stream")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		n := 0
		for sc := bufio.NewScanner(resp.Body); sc.Scan(); {
			n++
		}
		if n != 8 {
			t.Fatalf("stream delivered %d of 8 lines over 4 s", n)
		}
	})
}
