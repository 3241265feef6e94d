// Package broker is the embedded MQTT broker of `facmon demo`: Mochi MQTT
// (github.com/mochi-mqtt/server/v2) bound to loopback, letting any local
// client in, so the demo needs no Mosquitto. It is not a production
// broker: production uses Mosquitto with passwords and ACLs (deploy/).
//
// Every connection is served under a recover: a malformed frame that makes
// the library panic (mochi-mqtt #501 was such a crash) costs that one
// connection, is logged and counted, and the broker goes on.
package broker

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Broker is a running embedded broker.
type Broker struct {
	srv    *mqtt.Server
	ln     *listener
	subs   *subscribed
	stop   func() bool
	closed sync.Once
}

// ErrNotLoopback means the address asked for is not a loopback address:
// the broker lets everyone in, so it must not be reachable from outside.
var ErrNotLoopback = errors.New("broker: the embedded broker listens on loopback only")

// Start listens on addr (host:port on loopback; port 0 picks a free one)
// and serves until ctx ends or Close is called.
func Start(ctx context.Context, addr string, log *slog.Logger) (*Broker, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	nl, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", addr, err)
	}
	srv := mqtt.New(&mqtt.Options{InlineClient: false, Logger: log})
	ln := &listener{id: "loopback", ln: nl, log: log}
	if err := srv.AddHook(new(loopbackAuth), nil); err != nil {
		nl.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	subs := &subscribed{changed: make(chan struct{})}
	if err := srv.AddHook(subs, nil); err != nil {
		nl.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddListener(ln); err != nil {
		nl.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	b := &Broker{srv: srv, ln: ln, subs: subs}
	b.stop = context.AfterFunc(ctx, func() { b.Close() })
	return b, nil
}

// checkLoopback refuses addresses other than loopback ones.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("broker: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w, not %q", ErrNotLoopback, addr)
	}
	return nil
}

// Addr is the host:port the broker listens on.
func (b *Broker) Addr() string { return b.ln.ln.Addr().String() }

// URL is the broker's address as an MQTT URL, tcp://host:port.
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// Panics is how many connections ended in a recovered panic.
func (b *Broker) Panics() uint64 { return b.ln.panics.Load() }

// WaitSubscribers returns once every topic has a subscriber, or ctx's
// error naming the first topic that has none. A fresh broker keeps no
// session for anyone: what is published on a topic before its subscriber
// arrives is gone, so the demo starts its devices after facmon subscribed.
func (b *Broker) WaitSubscribers(ctx context.Context, topics []string) error {
	for {
		changed := b.subs.next()
		missing := ""
		for _, tp := range topics {
			if s := b.srv.Topics.Subscribers(tp); len(s.Subscriptions) == 0 && len(s.Shared) == 0 {
				missing = tp
				break
			}
		}
		if missing == "" {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("broker: no subscriber on %s: %w", missing, context.Cause(ctx))
		}
	}
}

// Close stops the broker and waits for its connections to end.
func (b *Broker) Close() error {
	var err error
	b.closed.Do(func() {
		if b.stop != nil {
			b.stop()
		}
		// Connections end before the server closes: Mochi's Close races
		// with a connection being established.
		b.ln.shutdown()
		err = b.srv.Close()
	})
	return err
}

// listener serves one net.Listener, like Mochi's listeners.Net, but runs
// each connection under a recover.
type listener struct {
	id     string
	ln     net.Listener
	log    *slog.Logger
	end    atomic.Bool
	wg     sync.WaitGroup
	panics atomic.Uint64

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

var _ listeners.Listener = (*listener)(nil)

// ID names the listener.
func (l *listener) ID() string { return l.id }

// Address is the bound host:port.
func (l *listener) Address() string { return l.ln.Addr().String() }

// Protocol is "tcp".
func (l *listener) Protocol() string { return "tcp" }

// Init does nothing: the socket is bound in Start.
func (l *listener) Init(*slog.Logger) error { return nil }

// Serve accepts connections until Close and hands each to establish.
func (l *listener) Serve(establish listeners.EstablishFn) {
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			return
		}
		if !l.track(conn) {
			conn.Close()
			return
		}
		l.wg.Go(func() {
			defer l.untrack(conn)
			l.serve(establish, conn)
		})
	}
}

// serve runs one connection and turns a panic into a closed connection.
func (l *listener) serve(establish listeners.EstablishFn, conn net.Conn) {
	rec := &recordingConn{Conn: conn}
	defer func() {
		if r := recover(); r != nil {
			l.panics.Add(1)
			l.log.Error("broker: connection panicked; closed it", "remote", conn.RemoteAddr().String(),
				"panic", fmt.Sprint(r), "last_bytes_hex", rec.head(), "stack", string(debug.Stack()))
			conn.Close()
		}
	}()
	if err := establish(l.id, rec); err != nil {
		l.log.Debug("broker: connection ended", "remote", conn.RemoteAddr().String(), "err", err)
	}
}

// track records an open connection; false once the listener is shut.
func (l *listener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.end.Load() {
		return false
	}
	if l.conns == nil {
		l.conns = make(map[net.Conn]struct{})
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *listener) untrack(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
}

// shutdown stops accepting, closes every connection and waits for their
// goroutines.
func (l *listener) shutdown() {
	l.mu.Lock()
	l.end.Store(true)
	l.ln.Close()
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// Close stops accepting and closes the clients.
func (l *listener) Close(closeClients listeners.CloseFn) {
	closeClients(l.id)
	l.shutdown()
}

// recordingConn keeps the last bytes read, so that a panic can be logged
// with the frame that caused it.
type recordingConn struct {
	net.Conn
	mu   sync.Mutex
	last []byte
}

const maxLogged = 256 // bytes of a bad frame that go to the log

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.last = append(c.last, p[:n]...)
	if len(c.last) > maxLogged {
		c.last = c.last[len(c.last)-maxLogged:]
	}
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) head() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return hex.EncodeToString(c.last)
}

// loopbackAuth lets every client in, but only from a loopback address.
type loopbackAuth struct{ mqtt.HookBase }

// ID names the hook.
func (*loopbackAuth) ID() string { return "loopback-only" }

// Provides says which hooks it implements.
func (*loopbackAuth) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck}, []byte{b})
}

// OnConnectAuthenticate allows loopback clients only.
func (*loopbackAuth) OnConnectAuthenticate(cl *mqtt.Client, _ packets.Packet) bool {
	host, _, err := net.SplitHostPort(cl.Net.Remote)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// OnACLCheck allows every topic.
func (*loopbackAuth) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

// subscribed tells waiters that a client subscribed: changed is closed and
// replaced on every subscription.
type subscribed struct {
	mqtt.HookBase
	mu      sync.Mutex
	changed chan struct{}
}

// ID names the hook.
func (*subscribed) ID() string { return "subscribed" }

// Provides says which hooks it implements.
func (*subscribed) Provides(b byte) bool { return b == mqtt.OnSubscribed }

// OnSubscribed wakes the waiters.
func (h *subscribed) OnSubscribed(*mqtt.Client, packets.Packet, []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.changed)
	h.changed = make(chan struct{})
}

// next is closed at the next subscription after the call.
func (h *subscribed) next() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}
