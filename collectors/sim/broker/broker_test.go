package broker

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

func start(t *testing.T) *Broker {
	t.Helper()
	b, err := Start(t.Context(), "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func connect(t *testing.T, url, id string) paho.Client {
	t.Helper()
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetConnectTimeout(5 * time.Second))
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", id, tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	return cl
}

func TestPublishIsDelivered(t *testing.T) {
	b := start(t)
	sub := connect(t, b.URL(), "sub")
	got := make(chan string, 1)
	tok := sub.Subscribe("estate/#", 1, func(_ paho.Client, m paho.Message) { got <- m.Topic() + " " + string(m.Payload()) })
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	pub := connect(t, b.URL(), "pub")
	if tok := pub.Publish("estate/bins/bin-1/fill_level", 1, false, "42"); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	select {
	case m := <-got:
		if m != "estate/bins/bin-1/fill_level 42" {
			t.Errorf("got %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("message not delivered within 10 s")
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for name, addr := range map[string]string{
		"any address": ":1883",
		"all ipv4":    "0.0.0.0:0",
		"lan":         "192.168.1.10:1883",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Start(t.Context(), addr, nil); !errors.Is(err, ErrNotLoopback) {
				t.Fatalf("Start(%q) = %v, want ErrNotLoopback", addr, err)
			}
		})
	}
}

// TestGarbageFrameDoesNotStopBroker sends frames that are not MQTT, and a
// CONNECT with lengths that lie; the broker must go on serving others.
func TestGarbageFrameDoesNotStopBroker(t *testing.T) {
	b := start(t)
	for name, frame := range map[string][]byte{
		"not mqtt":          []byte("GET / HTTP/1.1\r\n\r\n"),
		"connect too short": {0x10, 0x7f, 0x00, 0x04, 'M', 'Q'},
		"bad remaining len": {0x30, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", b.Addr())
			if err != nil {
				t.Fatal(err)
			}
			c.Write(frame)
			c.Close()
		})
	}
	connect(t, b.URL(), "after-garbage")
}

func TestCloseByContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	b, err := Start(ctx, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("broker still listening 5 s after its context ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPanicCostsOneConnection makes the connection handler panic, as
// mochi-mqtt #501 did on a bad frame: the listener recovers, counts it,
// and goes on accepting.
func TestPanicCostsOneConnection(t *testing.T) {
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &listener{id: "t", ln: nl, log: slog.New(slog.DiscardHandler)}
	served := make(chan string, 2)
	go l.Serve(func(_ string, c net.Conn) error {
		buf := make([]byte, 4)
		n, _ := c.Read(buf)
		if string(buf[:n]) == "boom" {
			panic("bad frame")
		}
		served <- string(buf[:n])
		return nil
	})
	t.Cleanup(func() { l.Close(func(string) {}) })
	for _, msg := range []string{"boom", "fine"} {
		c, err := net.Dial("tcp", nl.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(msg))
		defer c.Close()
	}
	select {
	case got := <-served:
		if got != "fine" {
			t.Fatalf("served %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second connection not served")
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.panics.Load() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("panics = %d, want 1", l.panics.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWaitSubscribers: the wait ends when every topic has a subscriber
// (through a wildcard too), and names the topic nobody subscribed to when
// its context ends first.
func TestWaitSubscribers(t *testing.T) {
	b := start(t)
	topics := []string{"estate/home/home-1/alarm", "estate/bins/bin-1/fill_level"}
	done := make(chan error, 1)
	go func() { done <- b.WaitSubscribers(t.Context(), topics) }()
	sub := connect(t, b.URL(), "sub")
	if tok := sub.Subscribe("estate/home/+/alarm", 1, func(paho.Client, paho.Message) {}); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	select {
	case err := <-done:
		t.Fatalf("returned with estate/bins unsubscribed: %v", err)
	default:
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.WaitSubscribers(ctx, topics); err == nil || !strings.Contains(err.Error(), "estate/bins/bin-1/fill_level") {
		t.Errorf("cancelled wait: %v, want the unsubscribed topic named", err)
	}
	if tok := sub.Subscribe("estate/bins/#", 1, func(paho.Client, paho.Message) {}); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still waiting 30 s after both topics had a subscriber")
	}
}
