package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"facmon/alarms"
	"facmon/alarms/journal"
)

// TestJournalVerify (Must show, issue 5): an intact journal passes, an
// edited record (a byte of its payload changed and the frame's CRC fixed)
// is detected with its record number and exit 1.
func TestJournalVerify(t *testing.T) {
	tests := []struct {
		name   string
		args   func(data string) []string
		tamper bool
		code   int
		out    string
	}{
		{"intact", func(d string) []string { return []string{"--data-dir", d} }, false, 0, "intact: 6 records (1-6)"},
		{"edited record", func(d string) []string { return []string{"--data-dir", d} }, true, 1, "BROKEN at record 4: hash does not match the record's content: record edited"},
		{"missing journal", func(d string) []string { return []string{"--data-dir", filepath.Join(d, "nope")} }, false, 2, ""},
		{"unknown flag", func(string) []string { return []string{"--bogus"} }, false, 2, ""},
		{"stray argument", func(d string) []string { return []string{"--data-dir", d, "extra"} }, false, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			writeJournal(t, filepath.Join(data, "journal"), 6)
			if tt.tamper {
				editRecord(t, filepath.Join(data, "journal"), 4)
			}
			var stdout, stderr bytes.Buffer
			code := dispatch(append([]string{"journal", "verify"}, tt.args(data)...), &stdout, &stderr)
			t.Logf("exit %d: %s%s", code, stdout.String(), stderr.String())
			if code != tt.code || !strings.Contains(stdout.String(), tt.out) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout.String(), stderr.String(), tt.code, tt.out)
			}
		})
	}
}

func writeJournal(t *testing.T, dir string, n int) {
	t.Helper()
	j, err := journal.Open(journal.Options{Dir: dir, VerifyInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for i := range n {
		r, err := journal.FromTransition(alarms.Transition{ID: "intrusion/zone-3/0", Change: alarms.Raise, Value: float64(40 + i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

// editRecord changes the value in record seq's payload (its value is
// 40+seq-1) and fixes the frame's CRC-32C, as someone covering tracks would.
func editRecord(t *testing.T, dir string, seq int) {
	t.Helper()
	path := filepath.Join(dir, "00000000000000000001.jrn")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := 52 // segment header
	for range seq - 1 {
		off += 8 + int(binary.LittleEndian.Uint32(b[off:]))
	}
	n := int(binary.LittleEndian.Uint32(b[off:]))
	p := b[off+8 : off+8+n]
	i := bytes.Index(p, []byte(`"value":43`))
	if i < 0 {
		t.Fatalf("record %d: value not found in %q", seq, p)
	}
	p[i+9] = '9'
	binary.LittleEndian.PutUint32(b[off+4:], crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
