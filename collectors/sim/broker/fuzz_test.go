package broker

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// connectFrame is an MQTT 3.1.1 CONNECT of client "fz", clean session,
// keep-alive 10 s.
var connectFrame = []byte{0x10, 0x0e, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x0a, 0x00, 0x02, 'f', 'z'}

// handshake connects and expects a CONNACK accepting the session.
func handshake(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(connectFrame); err != nil {
		return err
	}
	ack := make([]byte, 4)
	if _, err := io.ReadFull(c, ack); err != nil {
		return err
	}
	if !bytes.Equal(ack, []byte{0x20, 0x02, 0x00, 0x00}) {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// FuzzBrokerFrame sends arbitrary bytes to the embedded broker, alone and
// after a valid CONNECT; whatever they are, the broker must still accept
// the next client (mochi-mqtt #501 was one bad frame killing the process).
func FuzzBrokerFrame(f *testing.F) {
	b, err := Start(f.Context(), "127.0.0.1:0", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { b.Close() })
	f.Add(connectFrame, false)
	f.Add([]byte{0x30, 0x07, 0x00, 0x01, 'a', 'h', 'e', 'l', 'o'}, true)
	f.Add([]byte{0x82, 0x06, 0x00, 0x01, 0x00, 0x01, '#', 0x01}, true)
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01}, false)
	f.Fuzz(func(t *testing.T, frame []byte, afterConnect bool) {
		c, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(50 * time.Millisecond))
		if afterConnect {
			c.Write(connectFrame)
		}
		c.Write(frame)
		io.Copy(io.Discard, c) // until the broker closes or the deadline passes
		c.Close()
		if err := handshake(b.Addr()); err != nil {
			t.Fatalf("broker no longer accepts clients after %x: %v", frame, err)
		}
	})
}
