package mqtt

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// readBufferSize is the read buffer in front of the broker connection.
const readBufferSize = 64 << 10

// bufferedConn cuts paho's syscalls and goroutine hand-offs per message,
// which dominate its CPU time. paho reads each packet with three or more
// small reads (type byte, length bytes, body): a read buffer makes that one
// read per many packets. paho writes each PUBACK on its own: writes are
// appended to a buffer that a flusher goroutine writes out as soon as it
// can, so the acks of a batch leave in a few syscalls. A write error is
// returned by the next Write; a lost PUBACK only means a redelivery.
//
// With deliver set, it also takes the QoS 0 and 1 PUBLISH packets out of
// the stream paho reads and hands each to deliver as a paho.Message on
// the reading goroutine; Ack queues the PUBACK on this connection. paho
// passes every message through four goroutines and acks through three
// more — at a steady rate, where messages arrive one at a time, those
// hand-offs were most of facmon's CPU per message. paho still reads
// everything else (CONNACK, SUBACK, PINGRESP, QoS 2 flows, the acks of
// facmon's own publishes) and writes through this connection; the
// collector's only subscriber callback is the one deliver calls, so no
// routing changes. An ack whose connection has gone is dropped and the
// broker, holding the session, sends the message again.
type bufferedConn struct {
	net.Conn
	r       *bufio.Reader
	deliver func(paho.Message) // nil: paho reads every packet
	pass    []byte             // the rest of a packet for paho, not yet read
	passBuf []byte             // reused for pass

	wmu  sync.Mutex // held while writing to the connection
	mu   sync.Mutex // guards the fields below
	buf  []byte     // written by paho, not yet sent
	free []byte     // the other buffer, reused
	out  outbound   // where paho's writes stand in its current packet
	acks []byte     // PUBACKs that wait for the end of paho's packet
	err  error      // first write error
	kick chan struct{}
	stop chan struct{}
	once sync.Once
}

// maxPending makes Write send inline once this much waits, bounding memory.
const maxPending = 1 << 20

func newBufferedConn(conn net.Conn, deliver func(paho.Message)) *bufferedConn {
	c := &bufferedConn{Conn: conn, r: bufio.NewReaderSize(conn, readBufferSize), deliver: deliver,
		kick: make(chan struct{}, 1), stop: make(chan struct{})}
	go c.flusher()
	return c
}

// Read reads through the buffer, handing PUBLISH packets to deliver (when
// set) and the other packets to paho.
func (c *bufferedConn) Read(p []byte) (int, error) {
	if c.deliver == nil {
		return c.r.Read(p)
	}
	for len(c.pass) == 0 {
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.pass)
	c.pass = c.pass[n:]
	return n, nil
}

// MQTT 3.1.1 packet types and limits used here (§2.2).
const (
	typePublish   = 3
	typePuback    = 4
	maxRemaining  = 268_435_455 // the largest remaining length (§2.2.3)
	maxLenDigits  = 4
	pubackPktHead = typePuback << 4
)

// next reads one packet: a QoS 0 or 1 PUBLISH goes to deliver, any other
// packet becomes pass for paho. A malformed header or PUBLISH is an
// error, which paho treats as a lost connection (as its own parser would).
func (c *bufferedConn) next() error {
	h, err := c.r.ReadByte()
	if err != nil {
		return err
	}
	var hdr [1 + maxLenDigits]byte
	hdr[0] = h
	n, size := 1, 0
	for shift := 0; ; shift += 7 {
		if n > maxLenDigits {
			return errors.New("mqtt: malformed remaining length")
		}
		b, err := c.r.ReadByte()
		if err != nil {
			return err
		}
		hdr[n] = b
		n++
		size |= int(b&0x7f) << shift
		if b&0x80 == 0 {
			break
		}
	}
	if qos := (h >> 1) & 3; h>>4 == typePublish && qos < 2 {
		body := make([]byte, size)
		if _, err := io.ReadFull(c.r, body); err != nil {
			return err
		}
		m, err := c.parsePublish(h, body)
		if err != nil {
			return err
		}
		c.deliver(m)
		return nil
	}
	need := n + size
	if cap(c.passBuf) < need {
		c.passBuf = make([]byte, need)
	}
	buf := c.passBuf[:need]
	copy(buf, hdr[:n])
	if _, err := io.ReadFull(c.r, buf[n:]); err != nil {
		return err
	}
	c.pass = buf
	return nil
}

// parsePublish reads a QoS 0 or 1 PUBLISH (§3.3): topic, packet id (QoS
// 1), payload. body is the packet's own: the message keeps it.
func (c *bufferedConn) parsePublish(h byte, body []byte) (*publish, error) {
	m := &publish{conn: c, qos: (h >> 1) & 3, dup: h&0x08 != 0, retained: h&0x01 != 0}
	if len(body) < 2 {
		return nil, errors.New("mqtt: PUBLISH shorter than its topic length")
	}
	tl := int(binary.BigEndian.Uint16(body))
	rest := body[2:]
	if len(rest) < tl {
		return nil, fmt.Errorf("mqtt: PUBLISH topic of %d bytes in %d", tl, len(rest))
	}
	m.topic, rest = string(rest[:tl]), rest[tl:]
	if m.qos == 1 {
		if len(rest) < 2 {
			return nil, errors.New("mqtt: PUBLISH QoS 1 without a packet id")
		}
		m.id, rest = binary.BigEndian.Uint16(rest), rest[2:]
	}
	m.payload = rest
	return m, nil
}

// publish is a PUBLISH taken from the stream; it implements paho.Message.
type publish struct {
	conn          *bufferedConn
	topic         string
	payload       []byte
	id            uint16
	qos           byte
	dup, retained bool
	acked         atomic.Bool
}

func (m *publish) Duplicate() bool   { return m.dup }
func (m *publish) Qos() byte         { return m.qos }
func (m *publish) Retained() bool    { return m.retained }
func (m *publish) Topic() string     { return m.topic }
func (m *publish) MessageID() uint16 { return m.id }
func (m *publish) Payload() []byte   { return m.payload }

// Ack queues the PUBACK of a QoS 1 message (once); QoS 0 needs none.
func (m *publish) Ack() {
	if m.qos == 1 && m.acked.CompareAndSwap(false, true) {
		m.conn.puback(m.id)
	}
}

// puback queues a PUBACK: at the end of the buffer, or, while paho is
// in the middle of writing a packet, after that packet.
func (c *bufferedConn) puback(id uint16) {
	ack := [4]byte{pubackPktHead, 2, byte(id >> 8), byte(id)}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return // the broker sends the message again on the next connection
	}
	if c.out.inside() {
		c.acks = append(c.acks, ack[:]...)
	} else {
		c.buf = append(c.buf, ack[:]...)
	}
	c.mu.Unlock()
	c.notify()
}

// outbound follows the packets paho writes, which may take several
// Writes each, so that a PUBACK is never put inside one.
type outbound struct {
	state     int // betweenPackets, inLength or inBody
	digits    int // length bytes read so far
	remaining int // body bytes of the current packet still to come
}

const (
	betweenPackets = iota
	inLength
	inBody
)

// inside reports whether a packet is partly written.
func (o *outbound) inside() bool { return o.state != betweenPackets }

// advance moves over bytes paho wrote.
func (o *outbound) advance(p []byte) {
	for len(p) > 0 {
		switch o.state {
		case betweenPackets: // a type byte
			p = p[1:]
			o.state, o.digits, o.remaining = inLength, 0, 0
		case inLength:
			b := p[0]
			p = p[1:]
			o.remaining |= int(b&0x7f) << (7 * o.digits)
			o.digits++
			if b&0x80 == 0 || o.digits == maxLenDigits {
				o.state = inBody
				if o.remaining == 0 {
					o.state = betweenPackets
				}
			}
		case inBody:
			k := min(o.remaining, len(p))
			o.remaining -= k
			p = p[k:]
			if o.remaining == 0 {
				o.state = betweenPackets
			}
		}
	}
}

// Write queues p for the flusher.
func (c *bufferedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	c.buf = append(c.buf, p...)
	c.out.advance(p)
	if len(c.acks) > 0 && !c.out.inside() {
		c.buf = append(c.buf, c.acks...)
		c.acks = c.acks[:0]
	}
	full := len(c.buf) >= maxPending
	c.mu.Unlock()
	if full {
		return len(p), c.flush()
	}
	c.notify()
	return len(p), nil
}

// notify wakes the flusher.
func (c *bufferedConn) notify() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
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
// would, with bufferedConn in front, handing PUBLISH packets to deliver
// (nil: to paho). Bound to deliver, it is paho's OpenConnectionFunc.
func dialBuffered(uri *url.URL, o paho.ClientOptions, deliver func(paho.Message)) (net.Conn, error) {
	d := o.Dialer
	if d == nil {
		d = &net.Dialer{Timeout: o.ConnectTimeout}
	}
	var secure bool
	switch uri.Scheme {
	case "tcp", "mqtt":
	case "ssl", "tls", "mqtts", "tcps":
		secure = true
	default:
		return nil, fmt.Errorf("mqtt: scheme %q is not dialled here", uri.Scheme)
	}
	tcp, err := d.Dial("tcp", uri.Host)
	if err != nil {
		return nil, err
	}
	conn := newRawReadConn(tcp)
	if secure {
		if conn, err = handshake(conn, uri, o); err != nil {
			return nil, err
		}
	}
	return newBufferedConn(conn, deliver), nil
}

// handshake runs the TLS client handshake on conn as tls.DialWithDialer
// would (server name from the URL unless configured, the dialer's
// timeout); conn is closed if it fails.
func handshake(conn net.Conn, uri *url.URL, o paho.ClientOptions) (net.Conn, error) {
	cfg := o.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg = cfg.Clone()
		cfg.ServerName = uri.Hostname()
	}
	ctx := context.Background()
	if o.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.ConnectTimeout)
		defer cancel()
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return tc, nil
}
