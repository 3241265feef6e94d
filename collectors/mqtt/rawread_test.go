package mqtt

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns both ends of a real loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// TestRawReadConnReadsWaitsAndEnds: the raw reader returns what was
// sent, waits through the poller when nothing is there, honours read
// deadlines and reports the peer's close as io.EOF.
func TestRawReadConnReadsWaitsAndEnds(t *testing.T) {
	client, server := tcpPair(t)
	c := newRawReadConn(client)
	if _, ok := c.(*rawReadConn); !ok {
		t.Fatalf("a TCP connection was not wrapped: %T", c)
	}
	buf := make([]byte, 64)

	// Nothing there yet: the read waits until the peer writes.
	go func() {
		time.Sleep(20 * time.Millisecond)
		_, _ = server.Write([]byte("hello"))
	}()
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Read = %q, %v; want hello", buf[:n], err)
	}

	// A deadline ends a wait with the usual timeout error.
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	_ = c.SetReadDeadline(time.Time{})

	// More than the buffer: read in pieces, nothing lost.
	want := make([]byte, 200_000)
	for i := range want {
		want[i] = byte(i)
	}
	go func() { _, _ = server.Write(want); server.Close() }()
	got, err := io.ReadAll(c)
	if err != nil || len(got) != len(want) {
		t.Fatalf("ReadAll: %d bytes, %v; want %d", len(got), err, len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("byte %d = %d, want %d", i, got[i], want[i])
		}
	}
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after the peer closed = %d, %v; want 0, io.EOF", n, err)
	}

	// Closed locally: an error, not a hang.
	_ = c.Close()
	if _, err := c.Read(buf); err == nil {
		t.Fatal("Read on a closed connection returned no error")
	}
}

func TestRawReadConnLeavesOtherConnsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if c := newRawReadConn(a); c != a {
		t.Fatalf("a pipe (no file descriptor) was wrapped: %T", c)
	}
}
