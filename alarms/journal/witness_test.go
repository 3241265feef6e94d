package journal

import (
	"os"
	"strings"
	"testing"
)

// TestWitnessCatchesTheNewestRecord is issue 12's witness test: with the
// head published while facmon ran, damaging, cutting or removing the
// newest record is a break; without the witness each looks like a torn
// append (or a shorter intact journal). An honest torn append — a record
// never acknowledged, so never witnessed — is still recovered without
// losing an acknowledged one.
func TestWitnessCatchesTheNewestRecord(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, newest string, f frameLoc)
		reason string
	}{
		{"damaged", func(t *testing.T, p string, f frameLoc) {
			rewrite(t, p, func(b []byte) []byte { b[f.off+frameHeader+f.size/2] ^= 0xff; return b })
		}, "fails its CRC"},
		{"cut", func(t *testing.T, p string, f frameLoc) {
			rewrite(t, p, func(b []byte) []byte { return b[:f.off+frameHeader+f.size/2] })
		}, "removed or cut from the end"},
		{"removed", func(t *testing.T, p string, f frameLoc) {
			rewrite(t, p, func(b []byte) []byte { return b[:f.off] })
		}, "removed or cut from the end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			j, _ := open(t, dir, Options{MaxRecords: 100, SegmentRecords: 10})
			appendN(t, j, 0, 25, 1)
			w := j.Head()
			j.Close()
			if w.Seq != 25 {
				t.Fatalf("head %d, want 25", w.Seq)
			}
			segs := segments(t, dir)
			newest := segs[len(segs)-1]
			frames := framesOf(t, newest)
			tc.tamper(t, newest, frames[len(frames)-1])
			if r, err := Verify(dir); err != nil || !r.OK() {
				t.Fatalf("without a witness: %+v %v (expected to pass as torn or shorter: the gap the witness closes)", r, err)
			}
			r, err := VerifyWitness(dir, w)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() || r.Broken.Seq != 25 || !strings.Contains(r.Broken.Reason, tc.reason) {
				t.Fatalf("VerifyWitness = %+v (break %v); want record 25: %q", r, r.Broken, tc.reason)
			}
		})
	}
	t.Run("edited and re-hashed newest record", func(t *testing.T) {
		dir := t.TempDir()
		j, _ := open(t, dir, Options{MaxRecords: 100, SegmentRecords: 10})
		appendN(t, j, 0, 25, 1)
		w := j.Head()
		w.Hash[0] ^= 1 // stands for a record rewritten with a valid hash
		j.Close()
		r, _ := VerifyWitness(dir, w)
		if r.OK() || !strings.Contains(r.Broken.Reason, "record edited") {
			t.Fatalf("VerifyWitness = %+v", r.Broken)
		}
	})
	t.Run("honest torn append", func(t *testing.T) {
		dir := t.TempDir()
		j, _ := open(t, dir, Options{MaxRecords: 100, SegmentRecords: 10})
		appendN(t, j, 0, 25, 1)
		w := j.Head()
		j.Close()
		segs := segments(t, dir)
		newest := segs[len(segs)-1]
		frames := framesOf(t, newest)
		last := frames[len(frames)-1]
		// A crash mid-append of record 26: part of its frame reached the
		// disk, its fsync never returned, nobody was told.
		b, _ := os.ReadFile(newest)
		torn := append([]byte(nil), b[last.off:last.off+frameHeader+last.size/2]...)
		f, _ := os.OpenFile(newest, os.O_APPEND|os.O_WRONLY, 0)
		f.Write(torn)
		f.Close()
		r, err := VerifyWitness(dir, w)
		if err != nil || !r.OK() || r.TornBytes == 0 {
			t.Fatalf("honest torn append with the witness: %+v %v", r, err)
		}
		j2, _ := open(t, dir, Options{MaxRecords: 100, SegmentRecords: 10})
		if j2.Last() != 25 || j2.Head() != w {
			t.Fatalf("after recovery: last %d head %+v, want 25 %+v", j2.Last(), j2.Head(), w)
		}
		j2.Close()
		if r, _ := VerifyWitness(dir, w); !r.OK() || r.TornBytes != 0 {
			t.Fatalf("after the cut: %+v", r)
		}
	})
}
