package journal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// FuzzOpen writes arbitrary bytes as the only segment of a journal (after
// a valid header or as the whole file) and checks that Open never fails or
// panics, that every record it returns is byte for byte a CRC-valid frame
// of the file (never a corrupt record), in increasing seq order, and that
// appending continues the chain. Seeds: testdata/fuzz/FuzzOpen.
func FuzzOpen(f *testing.F) {
	good := validSegment(f)
	f.Add(good[headerSize:], true)
	f.Add(good, false)
	f.Add(good[headerSize:len(good)-7], true)
	f.Fuzz(func(t *testing.T, data []byte, withHeader bool) {
		dir := t.TempDir()
		file := data
		if withHeader {
			file = append(encodeLink(segMagic, link{seq: 1}), data...)
		}
		if err := writeAnchor(dir, link{seq: 1}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, segName(1)), file, 0o600); err != nil {
			t.Fatal(err)
		}
		before, err := Verify(dir)
		if err != nil {
			t.Fatal(err)
		}
		j, reg := open(t, dir, Options{})
		if got := chainOK(t, reg); got != map[bool]float64{true: 1, false: 0}[before.OK()] {
			t.Fatalf("chain_ok %v, Verify said %+v", got, before)
		}
		recs, err := j.Since(0)
		if err != nil {
			t.Fatal(err)
		}
		checkFramed(t, file, recs)
		last, err := j.Append(context.Background(), transition(0))
		if err != nil || last != j.Last() || (len(recs) > 0 && last <= recs[len(recs)-1].Seq) {
			t.Fatalf("Append after open = %d, %v (last %d)", last, err, j.Last())
		}
		j.Close()
		if after, err := Verify(dir); err != nil || (before.OK() && !after.OK()) {
			t.Fatalf("Verify after append = %+v, %v (before %+v)", after, err, before)
		}
	})
}

// checkFramed checks that each record is a CRC-valid frame of file.
func checkFramed(t *testing.T, file []byte, recs []Record) {
	t.Helper()
	var prev uint64
	for _, r := range recs {
		if r.Seq <= prev || r.check() != nil {
			t.Fatalf("record %+v after seq %d", r, prev)
		}
		prev = r.Seq
		stored := r.Hash
		enc := r.encode(nil)
		frame := appendFrame(nil, append(enc[:len(enc)-sha256.Size], stored[:]...))
		if !bytes.Contains(file, frame) {
			t.Fatalf("record %d is not a frame of the file", r.Seq)
		}
	}
}

// validSegment returns the newest segment of a real three-record journal.
func validSegment(tb testing.TB) []byte {
	dir := tb.TempDir()
	j, _ := open(tb, dir, Options{})
	appendN(tb, j, 0, 3, 1)
	j.Close()
	b, err := os.ReadFile(filepath.Join(dir, segName(1)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzOpen when
// FACMON_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("FACMON_WRITE_SEEDS") != "1" {
		t.Skip("set FACMON_WRITE_SEEDS=1 to regenerate the seeds")
	}
	good := validSegment(t)
	body := good[headerSize:]
	edited := bytes.Clone(body)
	edited[len(edited)/2] ^= 1
	seeds := map[string]struct {
		data   []byte
		header bool
	}{
		"valid-3-records":      {body, true},
		"torn-last-frame":      {body[:len(body)-20], true},
		"flipped-middle-byte":  {edited, true},
		"whole-file-no-header": {good, false},
		"huge-length":          {[]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0}, true},
		"empty":                {nil, true},
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, s := range seeds {
		text := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\nbool(%t)\n", strconv.Quote(string(s.data)), s.header)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
