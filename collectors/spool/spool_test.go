package spool

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func open(t *testing.T, o Options) *Spool {
	t.Helper()
	s, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func rec(i int) []byte { return fmt.Appendf(nil, "record-%06d", i) }

func appendN(t *testing.T, s *Spool, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := s.Append(context.Background(), [][]byte{rec(i)}); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
}

func readAll(t *testing.T, r *Reader) [][]byte {
	t.Helper()
	recs, err := r.Next(1<<30, 1<<40)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return recs
}

func wantRecords(t *testing.T, got [][]byte, from, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("got %d records, want %d", len(got), n)
	}
	for i, g := range got {
		if !bytes.Equal(g, rec(from+i)) {
			t.Fatalf("record %d = %q, want %q", i, g, rec(from+i))
		}
	}
}

func TestAppendRead(t *testing.T) {
	for _, tc := range []struct {
		name     string
		segBytes int64
		n        int
	}{
		{"one segment", 1 << 20, 100},
		{"many segments", 4096, 2000},
		{"empty", 4096, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, Options{Dir: t.TempDir(), SegmentBytes: tc.segBytes})
			appendN(t, s, 0, tc.n)
			r := s.NewReader()
			defer r.Close()
			wantRecords(t, readAll(t, r), 0, tc.n)
			appendN(t, s, tc.n, 5)
			wantRecords(t, readAll(t, r), tc.n, 5)
		})
	}
}

func TestAppendRejects(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir()})
	for name, recs := range map[string][][]byte{
		"empty record": {{}},
		"too large":    {make([]byte, MaxRecordBytes+1)},
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.Append(context.Background(), recs); err == nil {
				t.Fatal("Append accepted a bad record")
			}
		})
	}
}

// TestTornTail cuts or spoils the newest segment the way a crash does and
// checks that Open keeps exactly the intact records and appends after them.
func TestTornTail(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(b []byte) []byte
		keep  int
	}{
		{"clean", func(b []byte) []byte { return b }, 10},
		{"cut in frame header", func(b []byte) []byte { return b[:len(b)-len(rec(9))-3] }, 9},
		{"cut in payload", func(b []byte) []byte { return b[:len(b)-2] }, 9},
		{"garbage appended", func(b []byte) []byte { return append(b, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5) }, 10},
		{"zeros appended", func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, 10},
		{"last crc flipped", func(b []byte) []byte { b[len(b)-len(rec(9))-1] ^= 1; return b }, 9},
		{"middle payload flipped", func(b []byte) []byte { b[headerSize+5*(frameHeader+len(rec(0)))+frameHeader] ^= 0x80; return b }, 5},
		{"header only", func(b []byte) []byte { return b[:headerSize] }, 0},
		{"half a header", func(b []byte) []byte { return b[:3] }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, s, 0, 10)
			s.Close()
			path := filepath.Join(dir, segName(1))
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, tc.spoil(b), 0o600); err != nil {
				t.Fatal(err)
			}
			s = open(t, Options{Dir: dir})
			r := s.NewReader()
			defer r.Close()
			wantRecords(t, readAll(t, r), 0, tc.keep)
			appendN(t, s, tc.keep, 3)
			wantRecords(t, readAll(t, r), tc.keep, 3)
		})
	}
}

func TestCursorPersists(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, SegmentBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 0, 1000)
	r := s.NewReader()
	got, _ := r.Next(600, 1<<40)
	wantRecords(t, got, 0, 600)
	if err := s.Commit(r.Pos()); err != nil {
		t.Fatal(err)
	}
	r.Close()
	s.Close()

	s = open(t, Options{Dir: dir, SegmentBytes: 4096})
	r = s.NewReader()
	defer r.Close()
	wantRecords(t, readAll(t, r), 600, 400)
}

func TestCorruptCursorReplaysAll(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(Options{Dir: dir})
	appendN(t, s, 0, 10)
	r := s.NewReader()
	readAll(t, r)
	s.Commit(r.Pos())
	r.Close()
	s.Close()
	os.WriteFile(filepath.Join(dir, cursorFile), []byte("garbage"), 0o600)
	s = open(t, Options{Dir: dir})
	r = s.NewReader()
	defer r.Close()
	wantRecords(t, readAll(t, r), 0, 10)
}

func TestCommitDeletesSegments(t *testing.T) {
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	s := open(t, Options{Dir: dir, SegmentBytes: 4096, Registerer: reg})
	appendN(t, s, 0, 2000)
	before, _ := listSegments(dir)
	if len(before) < 5 {
		t.Fatalf("%d segments; want several", len(before))
	}
	r := s.NewReader()
	defer r.Close()
	wantRecords(t, readAll(t, r), 0, 2000)
	if err := s.Commit(r.Pos()); err != nil {
		t.Fatal(err)
	}
	after, _ := listSegments(dir)
	if len(after) != 1 {
		t.Fatalf("after commit %d segments %v; want only the active one", len(after), after)
	}
	if got := gauge(t, reg, "facmon_spool_segments"); got != 1 {
		t.Errorf("facmon_spool_segments = %v, want 1", got)
	}
}

func TestCapDropsOldest(t *testing.T) {
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	var seen int
	s := open(t, Options{Dir: dir, MaxBytes: 64 << 10, Registerer: reg})
	s.OnDrop(func([]byte) { seen++ })
	const n = 20000 // 20 B frames: ~400 KB through a 64 KB cap
	appendN(t, s, 0, n)
	if s.Bytes() > 64<<10 {
		t.Errorf("spool holds %d bytes, cap 64 KiB", s.Bytes())
	}
	r := s.NewReader()
	defer r.Close()
	got := readAll(t, r)
	dropped := int(s.Dropped())
	if dropped == 0 || dropped != seen || dropped+len(got) != n {
		t.Fatalf("dropped %d (OnDrop saw %d) + kept %d != %d", dropped, seen, len(got), n)
	}
	wantRecords(t, got, dropped, len(got)) // the newest survive, in order
	if c := counter(t, reg, "facmon_spool_records_dropped_total"); int(c) != dropped {
		t.Errorf("facmon_spool_records_dropped_total = %v, want %d", c, dropped)
	}
}

func TestCapSkipsReaderForward(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir(), MaxBytes: 64 << 10})
	r := s.NewReader()
	defer r.Close()
	appendN(t, s, 0, 10)
	wantRecords(t, readAll(t, r), 0, 10)
	if err := s.Commit(r.Pos()); err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 10, 20000)
	got := readAll(t, r)
	first := 10 + int(s.Dropped())
	wantRecords(t, got, first, 20010-first)
}

func TestGroupCommit(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := open(t, Options{Dir: t.TempDir(), Registerer: reg})
	const workers, each = 16, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { appendN(t, s, w*each, each) })
	}
	wg.Wait()
	fsyncs := histCount(t, reg, "facmon_spool_fsync_duration_seconds")
	if fsyncs >= workers*each {
		t.Errorf("%d fsyncs for %d appends: no group commit", fsyncs, workers*each)
	}
	r := s.NewReader()
	defer r.Close()
	if got := len(readAll(t, r)); got != workers*each {
		t.Errorf("read %d records, want %d", got, workers*each)
	}
}

func TestAppendAfterClose(t *testing.T) {
	s, _ := Open(Options{Dir: t.TempDir()})
	s.Close()
	if err := s.Append(context.Background(), [][]byte{rec(1)}); err != ErrClosed {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
}

func metric(t *testing.T, reg *prometheus.Registry, name string) *dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0]
		}
	}
	t.Fatalf("metric %s not registered", name)
	return nil
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	return metric(t, reg, name).GetGauge().GetValue()
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	return metric(t, reg, name).GetCounter().GetValue()
}

func histCount(t *testing.T, reg *prometheus.Registry, name string) int {
	return int(metric(t, reg, name).GetHistogram().GetSampleCount())
}

// TestCorruptOldSegmentSkipped: damage in an older segment (only the disk
// can do that) ends that segment; the reader goes on with the next one.
func TestCorruptOldSegmentSkipped(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, SegmentBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 0, 1000)
	s.Close()
	path := filepath.Join(dir, segName(1))
	b, _ := os.ReadFile(path)
	perSeg := (len(b) - headerSize) / (frameHeader + len(rec(0)))
	b[headerSize+10*(frameHeader+len(rec(0)))+frameHeader+2] ^= 0xff // record 10's payload
	os.WriteFile(path, b, 0o600)

	reg := prometheus.NewRegistry()
	s = open(t, Options{Dir: dir, SegmentBytes: 4096, Registerer: reg})
	r := s.NewReader()
	defer r.Close()
	got := readAll(t, r)
	wantRecords(t, got[:10], 0, 10)
	wantRecords(t, got[10:], perSeg, 1000-perSeg)
	if c := counter(t, reg, "facmon_spool_corrupt_total"); c != 1 {
		t.Errorf("facmon_spool_corrupt_total = %v, want 1", c)
	}
}

// TestSyncWindowGroupsAppends runs on synctest's fake clock: appends that
// arrive within the window wait for it and then share one fsync.
func TestSyncWindowGroupsAppends(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewRegistry()
		s, err := Open(Options{Dir: dir, SyncWindow: time.Hour, Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() {
				if err := s.Append(context.Background(), [][]byte{rec(i)}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if d := time.Since(start); d != time.Hour {
			t.Errorf("appends returned after %v, want the 1h window", d)
		}
		if n := histCount(t, reg, "facmon_spool_fsync_duration_seconds"); n != 1 {
			t.Errorf("%d fsyncs for 5 appends in one window, want 1", n)
		}
	})
}

// TestStagedAppendsWrittenOncePerGroup: staged appends reach the file
// with their group's fsync, in order, across segment rolls, and a Reader
// sees none of them before.
func TestStagedAppendsWrittenOncePerGroup(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		s, err := Open(Options{Dir: dir, SyncWindow: time.Hour, SegmentBytes: 4096})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		const n = 600 // ~14 KB of frames: rolls three times within the group
		var g interface{ Done() <-chan struct{} }
		for i := range n {
			grp, err := s.Stage([][]byte{rec(i)})
			if err != nil {
				t.Fatal(err)
			}
			g = grp
		}
		r := s.NewReader()
		defer r.Close()
		synctest.Wait()
		select {
		case <-g.Done():
			t.Fatal("the group was released before its window")
		default:
		}
		active := s.segPath(s.segs[len(s.segs)-1].id)
		if st, err := os.Stat(active); err != nil || st.Size() != headerSize {
			t.Fatalf("active segment before the group's fsync: %v, %v bytes; want only its header", err, st.Size())
		}
		early := readAll(t, r) // the rolled segments were written at their roll
		time.Sleep(time.Hour)
		<-g.Done()
		wantRecords(t, append(early, readAll(t, r)...), 0, n)
		if len(s.segs) < 4 {
			t.Errorf("%d segments, want the appends spread over at least 4", len(s.segs))
		}
	})
}

// TestFailedWriteFailsTheGroup: when the group's write fails, its appends
// are not accepted, and the next append goes to a new segment.
func TestFailedWriteFailsTheGroup(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir(), SyncWindow: time.Hour})
	g, err := s.Stage([][]byte{rec(0)})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	first := s.segs[len(s.segs)-1].id
	ro, err := os.Open(s.segPath(first)) // read-only: the next write fails
	if err != nil {
		t.Fatal(err)
	}
	_ = s.active.Close()
	s.active = ro
	s.mu.Unlock()
	if err := s.syncOnce(); err == nil {
		t.Fatal("syncOnce: no error from a failed write")
	}
	<-g.Done()
	if g.Err() == nil {
		t.Fatal("the group of a failed write was accepted")
	}
	if s.Err() == nil {
		t.Fatal("Err is nil after a failed write")
	}
	g, err = s.Stage([][]byte{rec(1)})
	if err != nil {
		t.Fatalf("append after a failed write: %v", err)
	}
	if err := s.syncOnce(); err != nil {
		t.Fatalf("syncOnce after a failed write: %v", err)
	}
	if <-g.Done(); g.Err() != nil {
		t.Fatalf("append after a failed write: %v", g.Err())
	}
	if id := s.segs[len(s.segs)-1].id; id == first {
		t.Fatal("the append after a failed write went to the broken segment")
	}
	r := s.NewReader()
	defer r.Close()
	wantRecords(t, readAll(t, r), 1, 1)
}
