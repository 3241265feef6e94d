package mqtt

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
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
	c := newBufferedConn(raw)
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
