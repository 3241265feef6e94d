package mqtt

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"sync"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// readBufferSize is the read buffer in front of the broker connection.
const readBufferSize = 64 << 10

// bufferedConn cuts paho's syscalls per message, which dominate its CPU
// time at high rates. paho reads each packet with three or more small
// reads (type byte, length bytes, body): a read buffer makes that one
// read per many packets. paho writes each PUBACK on its own: writes are
// appended to a buffer that a flusher goroutine writes out as soon as it
// can, so the acks of a batch leave in a few syscalls. A write error is
// returned by the next Write; a lost PUBACK only means a redelivery.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader

	wmu  sync.Mutex // held while writing to the connection
	mu   sync.Mutex // guards the fields below
	buf  []byte     // written by paho, not yet sent
	free []byte     // the other buffer, reused
	err  error      // first write error
	kick chan struct{}
	stop chan struct{}
	once sync.Once
}

// maxPending makes Write send inline once this much waits, bounding memory.
const maxPending = 1 << 20

func newBufferedConn(conn net.Conn) *bufferedConn {
	c := &bufferedConn{Conn: conn, r: bufio.NewReaderSize(conn, readBufferSize),
		kick: make(chan struct{}, 1), stop: make(chan struct{})}
	go c.flusher()
	return c
}

// Read reads through the buffer.
func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Write queues p for the flusher.
func (c *bufferedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	c.buf = append(c.buf, p...)
	full := len(c.buf) >= maxPending
	c.mu.Unlock()
	if full {
		return len(p), c.flush()
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
	return len(p), nil
}

// flusher sends queued writes until Close.
func (c *bufferedConn) flusher() {
	for {
		select {
		case <-c.kick:
			_ = c.flush()
		case <-c.stop:
			return
		}
	}
}

// flush sends everything queued so far.
func (c *bufferedConn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	out := c.buf
	if len(out) == 0 {
		c.mu.Unlock()
		return nil
	}
	c.buf = c.free[:0] // swap: out and buf never share an array
	c.mu.Unlock()
	_, err := c.Conn.Write(out)
	c.mu.Lock()
	c.free = out[:0]
	if err != nil && c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	return err
}

// Close sends what is queued (paho's DISCONNECT) unless a write is stuck,
// stops the flusher and closes the connection.
func (c *bufferedConn) Close() error {
	c.once.Do(func() { close(c.stop) })
	if c.wmu.TryLock() {
		c.wmu.Unlock()
		_ = c.flush()
	}
	c.mu.Lock()
	if c.err == nil {
		c.err = net.ErrClosed
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// buffered reports whether dialBuffered handles the URL's scheme; for the
// others (websockets) paho dials by itself.
func buffered(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "tcps":
		return true
	}
	return false
}

// dialBuffered opens a TCP or TLS connection to the broker, as paho
// would, with a read buffer in front. It is paho's OpenConnectionFunc.
func dialBuffered(uri *url.URL, o paho.ClientOptions) (net.Conn, error) {
	d := o.Dialer
	if d == nil {
		d = &net.Dialer{Timeout: o.ConnectTimeout}
	}
	var conn net.Conn
	var err error
	switch uri.Scheme {
	case "tcp", "mqtt":
		conn, err = d.Dial("tcp", uri.Host)
	case "ssl", "tls", "mqtts", "tcps":
		conn, err = tls.DialWithDialer(d, "tcp", uri.Host, o.TLSConfig)
	default:
		return nil, fmt.Errorf("mqtt: scheme %q is not dialled here", uri.Scheme)
	}
	if err != nil {
		return nil, err
	}
	return newBufferedConn(conn), nil
}
