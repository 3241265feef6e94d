package mqtt

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/internal/testsupport"
)

// TestBufferedConnKeepsEveryByteInOrder writes many small packets (as
// paho writes PUBACKs) with idle gaps and spurious flushes in between,
// then closes: the peer must read exactly what was written, in order.
func TestBufferedConnKeepsEveryByteInOrder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(s)
		got <- b
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := newBufferedConn(raw, nil)
	var want bytes.Buffer
	for i := range 20000 {
		p := []byte(fmt.Sprintf("ack-%d;", i))
		want.Write(p)
		if n, err := c.Write(p); err != nil || n != len(p) {
			t.Fatalf("Write %d: %d, %v", i, n, err)
		}
		if i%97 == 0 {
			_ = c.flush() // an idle moment: empty and non-empty flushes
			_ = c.flush()
		}
	}
	big := bytes.Repeat([]byte("x"), maxPending+1) // forces an inline flush
	want.Write(big)
	if _, err := c.Write(big); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("peer read %d bytes, want %d (first difference at %d)", len(b), want.Len(), firstDiff(b, want.Bytes()))
	}
	if _, err := c.Write([]byte("late")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// mqttPacket builds a packet: header byte, remaining length, body.
func mqttPacket(h byte, body []byte) []byte {
	p := []byte{h}
	n := len(body)
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n > 0 {
			b |= 0x80
		}
		p = append(p, b)
		if n == 0 {
			break
		}
	}
	return append(p, body...)
}

// publishPacket is a PUBLISH (§3.3) with the given flags.
func publishPacket(qos byte, retain, dup bool, id uint16, topic string, payload []byte) []byte {
	h := byte(typePublish<<4) | qos<<1
	if retain {
		h |= 0x01
	}
	if dup {
		h |= 0x08
	}
	body := []byte{byte(len(topic) >> 8), byte(len(topic))}
	body = append(body, topic...)
	if qos > 0 {
		body = append(body, byte(id>>8), byte(id))
	}
	return mqttPacket(h, append(body, payload...))
}

// pipeConn is a bufferedConn over an in-memory pipe whose far end (the
// broker) records everything written to it.
func pipeConn(t *testing.T, deliver func(paho.Message)) (c *bufferedConn, broker net.Conn, written func() []byte) {
	t.Helper()
	near, far := net.Pipe()
	var mu sync.Mutex
	var got []byte
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := far.Read(buf)
			mu.Lock()
			got = append(got, buf[:n]...)
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	c = newBufferedConn(near, deliver)
	t.Cleanup(func() { c.Close(); far.Close(); <-readDone })
	return c, far, func() []byte {
		_ = c.flush()
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// TestBufferedConnTakesPublishes: QoS 0 and 1 PUBLISH packets go to
// deliver with their topic, payload, flags and id, in order; every other
// packet (CONNACK, QoS 2 PUBLISH, PINGRESP) reaches paho byte for byte,
// however the stream is cut; Ack sends one PUBACK for QoS 1, none for 0.
func TestBufferedConnTakesPublishes(t *testing.T) {
	var mu sync.Mutex
	var msgs []paho.Message
	c, broker, written := pipeConn(t, func(m paho.Message) {
		mu.Lock()
		msgs = append(msgs, m)
		mu.Unlock()
	})
	long := bytes.Repeat([]byte("水"), 100) // 300 bytes: a two-byte length
	connack := mqttPacket(0x20, []byte{0, 0})
	qos2 := publishPacket(2, false, false, 9, "q/2", []byte("two"))
	pingresp := mqttPacket(0xd0, nil)
	var stream, forPaho bytes.Buffer
	for _, p := range [][]byte{
		connack,
		publishPacket(1, false, false, 7, "site/泵1", []byte(`{"a":1}`)),
		publishPacket(0, true, false, 0, "s/0", []byte("zero")),
		qos2,
		publishPacket(1, false, true, 0x1234, "s/long", long),
		pingresp,
		publishPacket(1, false, false, 8, "s/empty", nil),
		pingresp,
	} {
		stream.Write(p)
	}
	forPaho.Write(connack)
	forPaho.Write(qos2)
	forPaho.Write(pingresp)
	forPaho.Write(pingresp)
	go func() { // the broker writes in pieces of 3 bytes
		b := stream.Bytes()
		for len(b) > 0 {
			k := min(3, len(b))
			if _, err := broker.Write(b[:k]); err != nil {
				return
			}
			b = b[k:]
		}
	}()
	got := make([]byte, forPaho.Len())
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, forPaho.Bytes()) {
		t.Fatalf("paho read % x, want % x", got, forPaho.Bytes())
	}
	testsupport.Eventually(t, 5*time.Second, "4 messages delivered", func() bool { mu.Lock(); defer mu.Unlock(); return len(msgs) == 4 })
	type want struct {
		topic, payload string
		qos            byte
		retained, dup  bool
		id             uint16
	}
	wants := []want{{"site/泵1", `{"a":1}`, 1, false, false, 7}, {"s/0", "zero", 0, true, false, 0},
		{"s/long", string(long), 1, false, true, 0x1234}, {"s/empty", "", 1, false, false, 8}}
	for i, w := range wants {
		m := msgs[i]
		g := want{m.Topic(), string(m.Payload()), m.Qos(), m.Retained(), m.Duplicate(), m.MessageID()}
		if g != w {
			t.Errorf("message %d: %+v, want %+v", i, g, w)
		}
	}
	for _, m := range msgs {
		m.Ack()
		m.Ack() // a second ack sends nothing
	}
	wantAcks := []byte{0x40, 2, 0, 7, 0x40, 2, 0x12, 0x34, 0x40, 2, 0, 8}
	testsupport.Eventually(t, 5*time.Second, "3 PUBACKs", func() bool { return bytes.Equal(written(), wantAcks) })
}

// TestPubackWaitsForPahosPacket: paho may write one packet in several
// Writes; a PUBACK queued in between goes after that packet, never inside.
func TestPubackWaitsForPahosPacket(t *testing.T) {
	var got paho.Message
	c, broker, written := pipeConn(t, func(m paho.Message) { got = m })
	go func() {
		_, _ = broker.Write(append(publishPacket(1, false, false, 5, "t", []byte("x")), mqttPacket(0xd0, nil)...))
	}()
	if _, err := io.ReadFull(c, make([]byte, 2)); err != nil { // the PINGRESP after the PUBLISH
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("PUBLISH not delivered")
	}
	pub := publishPacket(1, false, false, 1, "out/topic", bytes.Repeat([]byte("p"), 200))
	var want []byte
	for _, cut := range []int{1, 2, 10} { // after the type byte; in the length; in the body
		want = append(want, pub...)
		want = append(want, 0x40, 2, 0, 5)
		if _, err := c.Write(pub[:cut]); err != nil {
			t.Fatal(err)
		}
		got.(*publish).acked.Store(false)
		got.Ack()
		if _, err := c.Write(pub[cut:]); err != nil {
			t.Fatal(err)
		}
	}
	testsupport.Eventually(t, 5*time.Second, "every PUBACK after its packet", func() bool { return bytes.Equal(written(), want) })
}

// TestBufferedConnRefusesMalformedPublish: a malformed packet ends the
// connection with an error naming it, as paho's own parser would.
func TestBufferedConnRefusesMalformedPublish(t *testing.T) {
	for name, tc := range map[string]struct {
		stream []byte
		want   string
	}{
		"length of five bytes": {[]byte{0x32, 0xff, 0xff, 0xff, 0xff, 0x01}, "remaining length"},
		"topic past the end":   {mqttPacket(0x32, []byte{0, 9, 'a'}), "topic"},
		"no packet id":         {mqttPacket(0x32, []byte{0, 1, 'a', 0}), "packet id"},
		"no topic length":      {mqttPacket(0x30, []byte{0}), "topic length"},
	} {
		t.Run(name, func(t *testing.T) {
			c, broker, _ := pipeConn(t, func(paho.Message) { t.Error("delivered a malformed PUBLISH") })
			go func() { _, _ = broker.Write(tc.stream) }()
			_, err := c.Read(make([]byte, 10))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read: %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// FuzzBufferedConnRead feeds the broker side random bytes: Read never
// panics, and what it hands paho plus what it delivers never exceeds
// what came in.
func FuzzBufferedConnRead(f *testing.F) {
	f.Add(publishPacket(1, false, false, 7, "a/b", []byte("{}")))
	f.Add(append(mqttPacket(0x20, []byte{0, 0}), publishPacket(0, true, false, 0, "x", nil)...))
	f.Add([]byte{0x32, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, in []byte) {
		delivered := 0
		c := &bufferedConn{r: bufio.NewReader(bytes.NewReader(in)), deliver: func(m paho.Message) {
			delivered += len(m.Topic()) + len(m.Payload())
		}}
		read := 0
		buf := make([]byte, 7)
		for {
			n, err := c.Read(buf)
			read += n
			if err != nil {
				break
			}
		}
		if read+delivered > len(in) {
			t.Fatalf("read %d + delivered %d bytes from %d", read, delivered, len(in))
		}
	})
}
