package durable

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWriteFileReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	for _, want := range []string{"first", "second"} {
		if err := WriteFile(p, []byte(want)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
	if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
		t.Fatalf("temporary file left behind: %v", err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestWriteFileErrorNamesThePathAndKeepsTheOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	if err := WriteFile(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p+".tmp", 0o700); err != nil { // the temp file cannot be created
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new")); err == nil {
		t.Fatal("no error")
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("content %q after a failed write, want the old", got)
	}
}

func TestSegments(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{SegmentName(12, ".seg"), SegmentName(3, ".seg"), SegmentName(0, ".seg"),
		"junk.seg", SegmentName(7, ".other"), "00000000000000000005.seg.tmp"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, SegmentName(9, ".seg")), 0o700); err != nil {
		t.Fatal(err)
	}
	got, err := ListSegments(dir, ".seg")
	if err != nil || !slices.Equal(got, []uint64{3, 12}) {
		t.Fatalf("ListSegments = %v, %v; want [3 12]", got, err)
	}
	if n := SegmentName(42, ".jrn"); n != "00000000000000000042.jrn" {
		t.Fatalf("SegmentName = %q", n)
	}
	if err := SyncDir(dir); err != nil {
		t.Fatal(err)
	}
}
