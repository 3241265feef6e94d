package spool

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSpoolRecover writes arbitrary bytes as a segment (with a valid
// header or not; the newest one, or an older one followed by a good
// segment) and checks that Open never fails or panics, that every record
// it reads back is exactly a framed record at the start of the file (never
// a corrupted one), and that reading and appending continue after them.
func FuzzSpoolRecover(f *testing.F) {
	valid := segHeader()
	for i := range 3 {
		valid = appendFrame(valid, rec(i))
	}
	f.Add(valid[headerSize:], true, false)
	f.Add(valid[headerSize:len(valid)-4], true, true)
	f.Add(append(valid[headerSize:], 0xff, 0xff, 0xff, 0x7f), true, false)
	f.Add(valid, false, true)
	f.Add([]byte{}, true, false)
	f.Fuzz(func(t *testing.T, data []byte, withHeader, older bool) {
		dir := t.TempDir()
		file := data
		if withHeader {
			file = append(segHeader(), data...)
		}
		if err := os.WriteFile(filepath.Join(dir, segName(1)), file, 0o600); err != nil {
			t.Fatal(err)
		}
		if older {
			next := appendFrame(segHeader(), []byte("next"))
			if err := os.WriteFile(filepath.Join(dir, segName(2)), next, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		s, err := Open(Options{Dir: dir})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		r := s.NewReader()
		defer r.Close()
		got := readAll(t, r)
		if older {
			if len(got) == 0 || string(got[len(got)-1]) != "next" {
				t.Fatalf("the good segment after a damaged one was not read: %q", got)
			}
			got = got[:len(got)-1]
		}
		checkPrefix(t, file, got)
		if err := s.Append(context.Background(), [][]byte{[]byte("after")}); err != nil {
			t.Fatalf("Append after recovery: %v", err)
		}
		more := readAll(t, r)
		if len(more) != 1 || string(more[0]) != "after" {
			t.Fatalf("after recovery read %q, want [after]", more)
		}
	})
}

// checkPrefix: the records, framed again, are the bytes right after the
// file's header.
func checkPrefix(t *testing.T, file []byte, recs [][]byte) {
	t.Helper()
	if len(recs) == 0 {
		return
	}
	if !validHeader(file) {
		t.Fatalf("%d records from a segment without a valid header", len(recs))
	}
	var framed []byte
	for _, r := range recs {
		framed = appendFrame(framed, r)
	}
	if !bytes.HasPrefix(file[headerSize:], framed) {
		t.Fatalf("records read are not the file's leading frames")
	}
}
