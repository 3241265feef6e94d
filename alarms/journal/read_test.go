package journal

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ReadRange reads beside an open journal (rolling segments) what Range
// of the open journal returns, and leaves the files as they were, a torn
// tail included.
func TestReadRangeBesideOpenJournal(t *testing.T) {
	dir := t.TempDir()
	clk := &testClock{t: t0}
	j, _ := open(t, dir, Options{Now: clk.now, SegmentRecords: 7, MaxRecords: 1000})
	for i := range 30 {
		r, err := NewRecord(TypeAction, "wang", "arm", "zone-"+string(rune('a'+i%3)), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	from, to := t0.Add(5*time.Second), t0.Add(20*time.Second)
	f := Filter{Subject: "zone-b", Limit: 100}
	want, err := j.Range(from, to, f)
	if err != nil {
		t.Fatal(err)
	}
	// A torn append at the end: ReadRange must skip it and not cut it.
	last := filepath.Join(dir, segName(j.active().first))
	fh, err := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.Write([]byte{0, 0, 0, 99, 1, 2})
	fh.Close()
	before, _ := os.Stat(last)
	got, err := ReadRange(dir, from, to, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) != 5 {
		t.Fatalf("ReadRange: %d records, Range: %d, want 5", len(got), len(want))
	}
	for i := range got {
		if got[i].Seq != want[i].Seq || got[i].Hash != want[i].Hash {
			t.Errorf("record %d: ReadRange seq %d, Range seq %d", i, got[i].Seq, want[i].Seq)
		}
	}
	after, _ := os.Stat(last)
	if after.Size() != before.Size() {
		t.Errorf("ReadRange changed %s: %d bytes, was %d", last, after.Size(), before.Size())
	}
}

func TestReadRangeMissingDir(t *testing.T) {
	if _, err := ReadRange(filepath.Join(t.TempDir(), "nope"), time.Time{}, time.Time{}, Filter{}); err == nil {
		t.Fatal("ReadRange of a missing directory: no error")
	}
}
