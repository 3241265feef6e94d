package testsupport

import (
	"context"
	"net"
	"sync"
	"syscall"
)

// MemNet is an in-memory network of one listening address, made of
// net.Pipe connections: it works inside a testing/synctest bubble, where
// loopback sockets do not (a goroutine waiting on a socket is not durably
// blocked, so the fake clock would never advance). Until Listen, and after
// the listener closes, Dial is refused like a stopped server's port.
type MemNet struct {
	mu sync.Mutex
	ln *memListener
}

// Listen starts accepting connections; the previous listener, if still
// open, keeps its connections but receives no new ones.
func (m *MemNet) Listen() net.Listener {
	ln := &memListener{conns: make(chan net.Conn), done: make(chan struct{})}
	m.mu.Lock()
	m.ln = ln
	m.mu.Unlock()
	return ln
}

// DialContext connects to the listener, or fails with ECONNREFUSED when
// nothing listens; it fits http.Transport.DialContext.
func (m *MemNet) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	m.mu.Lock()
	ln := m.ln
	m.mu.Unlock()
	refused := &net.OpError{Op: "dial", Net: network, Addr: memAddr(addr), Err: syscall.ECONNREFUSED}
	if ln == nil {
		return nil, refused
	}
	client, server := net.Pipe()
	select {
	case ln.conns <- server:
		return client, nil
	case <-ln.done:
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
	client.Close()
	server.Close()
	return nil, refused
}

type memListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *memListener) Addr() net.Addr { return memAddr("mem") }

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }
