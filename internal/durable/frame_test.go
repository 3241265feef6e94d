package durable

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// frames returns n good frames and the offsets where each ends.
func frames(n int) ([]byte, []int64) {
	var b []byte
	var ends []int64
	for i := range n {
		b = AppendFrame(b, bytes.Repeat([]byte{byte('a' + i)}, i+1))
		ends = append(ends, int64(len(b)))
	}
	return b, ends
}

func TestParseFrameTellsEveryCase(t *testing.T) {
	good, _ := frames(1)
	badSum := bytes.Clone(good)
	badSum[len(badSum)-1] ^= 0xff
	zero := binary.LittleEndian.AppendUint32(nil, 0)
	zero = append(zero, 0, 0, 0, 0)
	huge := binary.LittleEndian.AppendUint32(nil, 1000)
	huge = append(huge, 0, 0, 0, 0, 'x')
	for _, c := range []struct {
		name string
		data []byte
		max  int64
		want Status
		next int64
	}{
		{"whole", good, 10, OK, int64(len(good))},
		{"end", nil, 10, End, 0},
		{"half a header", good[:5], 10, Short, 0},
		{"half a payload", good[:len(good)-1], 10, Short, 0},
		{"zero length", zero, 10, BadLength, 0},
		{"length over the limit", huge, 10, BadLength, 0},
		{"length past the end", huge, 2000, Short, 0},
		{"checksum", badSum, 10, BadChecksum, int64(len(good))},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := ParseFrame(c.data, 0, c.max)
			if f.Status != c.want || f.Next != c.next {
				t.Fatalf("status %v next %d, want %v next %d", f.Status, f.Next, c.want, c.next)
			}
			_, err := NewReader(bytes.NewReader(c.data), 0, -1, c.max).Next()
			if got := readerStatus(err); got != c.want {
				t.Fatalf("Reader says %v (%v), ParseFrame %v", got, err, c.want)
			}
		})
	}
}

func readerStatus(err error) Status {
	var fe *FrameError
	switch {
	case err == nil:
		return OK
	case err == io.EOF:
		return End
	case errors.As(err, &fe):
		return fe.Status
	}
	return 255
}

func TestReaderStopsAtTheEndItIsGivenAndMoves(t *testing.T) {
	data, ends := frames(3)
	r := NewReader(bytes.NewReader(data), 0, ends[0], 100)
	if p, err := r.Next(); err != nil || string(p) != "a" {
		t.Fatalf("first: %q %v", p, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("past the end: %v, want EOF", err)
	}
	r.SetEnd(ends[1] - 1) // the writer's end is inside frame 2: never read
	if _, err := r.Next(); readerStatus(err) != Short || r.Off() != ends[0] {
		t.Fatalf("inside a frame: %v at %d", err, r.Off())
	}
	r.SetEnd(ends[2])
	for _, want := range []string{"bb", "ccc"} {
		if p, err := r.Next(); err != nil || string(p) != want {
			t.Fatalf("got %q %v, want %q", p, err, want)
		}
	}
}

func TestRecoverTailCutsEveryTornAppend(t *testing.T) {
	header := []byte("HDR!")
	data, ends := frames(4)
	whole := append(bytes.Clone(header), data...)
	for cut := len(header); cut <= len(whole); cut++ {
		path := filepath.Join(t.TempDir(), SegmentName(1, ".seg"))
		if err := os.WriteFile(path, whole[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		var got []string
		tail, err := RecoverTail(path, int64(len(header)), 100, func(p []byte) { got = append(got, string(p)) })
		if err != nil {
			t.Fatal(err)
		}
		wantGood, wantN := int64(len(header)), 0
		for i, e := range ends {
			if int64(len(header))+e <= int64(cut) {
				wantGood, wantN = int64(len(header))+e, i+1
			}
		}
		st, _ := os.Stat(path)
		if tail.Good != wantGood || tail.Frames != wantN || len(got) != wantN || st.Size() != wantGood || tail.Cut != int64(cut)-wantGood {
			t.Fatalf("cut at %d: %+v, %d visited, file %d bytes; want good %d, %d frames", cut, tail, len(got), st.Size(), wantGood, wantN)
		}
	}
}

func TestCreateSegmentIsExclusiveAndHasItsHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), SegmentName(7, ".jrn"))
	f, err := CreateSegment(path, []byte("HEAD"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(AppendFrame(nil, []byte("x"))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := CreateSegment(path, []byte("HEAD")); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second create: %v, want ErrExist", err)
	}
	b, _ := os.ReadFile(path)
	if string(b[:4]) != "HEAD" || ParseFrame(b, 4, 10).Status != OK {
		t.Fatalf("file %q", b)
	}
}

func TestSyncerFlushesOnceForTheWritersOfAWindow(t *testing.T) {
	flushed := make(chan struct{}, 10)
	s := NewSyncer(time.Hour, func() { flushed <- struct{}{} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	for range 5 {
		s.Kick()
	}
	cancel() // the window never ends: no flush, and Run returns
	<-done
	if len(flushed) != 0 {
		t.Fatalf("%d flushes before the window ended", len(flushed))
	}

	s = NewSyncer(0, func() { flushed <- struct{}{} })
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	s.Kick()
	select {
	case <-flushed:
	case <-time.After(time.Minute):
		t.Fatal("no flush after a kick")
	}
}

func TestGroupReleasesEveryWaiterWithTheResult(t *testing.T) {
	g := NewGroup()
	want := errors.New("fsync failed")
	errs := make(chan error, 3)
	for range 3 {
		go func() { <-g.Done(); errs <- g.Err() }()
	}
	g.Release(want)
	for range 3 {
		if err := <-errs; err != want {
			t.Fatalf("waiter got %v", err)
		}
	}
}
