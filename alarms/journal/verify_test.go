package journal

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tamperCase edits a closed journal of 30 records in segments of 10
// (seqs 1-10, 11-20, 21-30, and an empty newest one after a roll is not
// made: the third segment is the newest).
type tamperCase struct {
	name   string
	tamper func(t *testing.T, dir string, segs []string)
	seq    uint64 // the record number the break must name
	reason string
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []tamperCase{
		{"payload edited and CRC fixed", editPayload(1, 4, true), 15, "record edited"},
		{"payload edited and CRC fixed in the newest segment", editPayload(2, 9, true), 30, "record edited"},
		{"payload edited without fixing the CRC", editPayload(1, 4, false), 15, "fails its CRC"},
		{"payload edited without fixing the CRC in the newest segment", editPayload(2, 2, false), 23, "fails its CRC"},
		{"record deleted in the middle", deleteFrame(1, 4), 15, "records deleted or inserted"},
		{"record deleted in the newest segment", deleteFrame(2, 0), 21, "records deleted or inserted"},
		{"record duplicated", duplicateFrame(1, 4), 16, "records deleted or inserted"},
		{"record and its hash rewritten", rehashRecord(1, 4), 16, "prev hash does not match"},
		{"oldest segment deleted", removeSegment(0), 1, "records deleted"},
		{"middle segment deleted", removeSegment(1), 11, "records deleted"},
		{"anchor deleted", removeFile(anchorName), 1, "anchor file missing"},
		{"all segments deleted after a drop", removeAllAfterDrop, 11, "segments deleted"},
		{"snapshot beyond the end (tail removed)", snapshotBeyondEnd(40), 31, "records removed from the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j, _ := open(t, dir, Options{MaxRecords: 100, SegmentRecords: 10})
			appendN(t, j, 0, 30, 1)
			j.Close()
			tt.tamper(t, dir, segments(t, dir))
			r, err := Verify(dir)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() || r.Broken.Seq != tt.seq || !strings.Contains(r.Broken.Reason, tt.reason) {
				t.Fatalf("Verify = %+v (break %v); want record %d: %q", r, r.Broken, tt.seq, tt.reason)
			}
			_, reg := open(t, dir, Options{MaxRecords: 100, SegmentRecords: 10})
			if chainOK(t, reg) != 0 {
				t.Fatal("facmon_journal_chain_ok = 1 after opening a tampered journal")
			}
			if r2, _ := Verify(dir); r2.OK() || r2.Broken.Seq != tt.seq {
				t.Fatalf("Open erased the evidence: %+v", r2)
			}
		})
	}
}

func rewrite(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// editPayload changes the value 41 to 99 in frame k of segment s.
func editPayload(s, k int, fix bool) func(*testing.T, string, []string) {
	return func(t *testing.T, _ string, segs []string) {
		f := framesOf(t, segs[s])[k]
		rewrite(t, segs[s], func(b []byte) []byte {
			p := b[f.off+frameHeader : f.off+frameHeader+f.size]
			i := bytes.Index(p, []byte(`"value":41`))
			if i < 0 {
				t.Fatal("value not found")
			}
			copy(p[i+8:], "99")
			if fix {
				fixCRC(b, f)
			}
			return b
		})
	}
}

func deleteFrame(s, k int) func(*testing.T, string, []string) {
	return func(t *testing.T, _ string, segs []string) {
		f := framesOf(t, segs[s])[k]
		rewrite(t, segs[s], func(b []byte) []byte {
			return append(b[:f.off:f.off], b[f.off+frameHeader+f.size:]...)
		})
	}
}

func duplicateFrame(s, k int) func(*testing.T, string, []string) {
	return func(t *testing.T, _ string, segs []string) {
		f := framesOf(t, segs[s])[k]
		rewrite(t, segs[s], func(b []byte) []byte {
			end := f.off + frameHeader + f.size
			out := append([]byte{}, b[:end]...)
			out = append(out, b[f.off:end]...)
			return append(out, b[end:]...)
		})
	}
}

// rehashRecord edits a record and recomputes its hash and CRC: the next
// record no longer links to it.
func rehashRecord(s, k int) func(*testing.T, string, []string) {
	return func(t *testing.T, _ string, segs []string) {
		f := framesOf(t, segs[s])[k]
		rewrite(t, segs[s], func(b []byte) []byte {
			r, _, err := decodeRecord(b[f.off+frameHeader : f.off+frameHeader+f.size])
			if err != nil {
				t.Fatal(err)
			}
			r.Payload = bytes.Replace(r.Payload, []byte(`"value":41`), []byte(`"value":99`), 1)
			p := r.encode(nil)
			out := append([]byte{}, b[:f.off]...)
			out = appendFrame(out, p)
			return append(out, b[f.off+frameHeader+f.size:]...)
		})
	}
}

func removeSegment(s int) func(*testing.T, string, []string) {
	return func(t *testing.T, _ string, segs []string) {
		if err := os.Remove(segs[s]); err != nil {
			t.Fatal(err)
		}
	}
}

func removeFile(name string) func(*testing.T, string, []string) {
	return func(t *testing.T, dir string, _ []string) {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshotBeyondEnd writes a valid snapshot that covers record seq.
func snapshotBeyondEnd(seq uint64) func(*testing.T, string, []string) {
	return func(t *testing.T, dir string, _ []string) {
		b := encodeSnapshot(snapshot{seq: seq, time: t0, state: []byte("{}")})
		if err := os.WriteFile(filepath.Join(dir, snapDir, snapName(seq)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyMissingDir(t *testing.T) {
	if _, err := Verify(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("no error for a missing directory")
	}
}

func TestVerifyEmpty(t *testing.T) {
	dir := t.TempDir()
	if r, err := Verify(dir); err != nil || !r.OK() || r.Records != 0 {
		t.Fatalf("Verify(empty) = %+v, %v", r, err)
	}
}

// TestVerifyWhileAppending runs Verify (as `facmon journal verify` would,
// from outside) again and again while a journal appends, rolls segments
// and drops the oldest: it never reports a break.
func TestVerifyWhileAppending(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, Options{MaxRecords: 20, SegmentRecords: 5})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 400 {
			if _, err := j.Append(context.Background(), transition(i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	checks := 0
	for running := true; running; checks++ {
		select {
		case <-done:
			running = false
		default:
		}
		r, err := Verify(dir)
		if err != nil || !r.OK() {
			t.Fatalf("Verify during appends = %+v (break %v), %v", r, r.Broken, err)
		}
	}
	t.Logf("%d verifications during 400 appends", checks)
}

// removeAllAfterDrop writes the anchor a drop of the first segment would
// write, then deletes every segment.
func removeAllAfterDrop(t *testing.T, dir string, segs []string) {
	if err := writeAnchor(dir, headOf(t, segs[1])); err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		if err := os.Remove(s); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrokenMarkLatches: a break found on open stays reported after its
// records are overwritten by the caps, until a person removes BROKEN.
func TestBrokenMarkLatches(t *testing.T) {
	dir := t.TempDir()
	o := Options{MaxRecords: 20, SegmentRecords: 10}
	j, _ := open(t, dir, o)
	appendN(t, j, 0, 30, 1)
	j.Close()
	editPayload(0, 4, true)(t, dir, segments(t, dir))
	j2, reg := open(t, dir, o)
	if chainOK(t, reg) != 0 {
		t.Fatal("edit not detected on open")
	}
	appendN(t, j2, 30, 80, 1) // the caps drop the edited record's segment
	j2.applyCaps()
	if j2.First() <= 10 {
		t.Fatalf("first %d: the edited segment is still there", j2.First())
	}
	j2.Close()
	r, err := Verify(dir)
	if err != nil || r.OK() || r.Broken.Seq != 5 || !strings.Contains(r.Broken.Reason, "earlier open: hash does not match") {
		t.Fatalf("Verify = %+v (break %v), %v", r, r.Broken, err)
	}
	if err := os.Remove(filepath.Join(dir, brokenName)); err != nil {
		t.Fatal(err)
	}
	if r, err := Verify(dir); err != nil || !r.OK() {
		t.Fatalf("Verify after the reset = %+v (break %v), %v", r, r.Broken, err)
	}
}
