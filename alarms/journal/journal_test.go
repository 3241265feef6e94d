package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"facmon/alarms"
)

func TestAppendReopen(t *testing.T) {
	dir := t.TempDir()
	clk := &testClock{t: t0}
	j, reg := open(t, dir, Options{Now: clk.now})
	appendN(t, j, 0, 7, 3)
	refused, err := NewRecord(TypeRefusedAction, "operator-li", "disarm", "zone-3", "wrong password", map[string]string{"zone": "zone-3"})
	if err != nil {
		t.Fatal(err)
	}
	last, err := j.Append(context.Background(), refused)
	if err != nil || last != 8 {
		t.Fatalf("Append = %d, %v; want 8", last, err)
	}
	if chainOK(t, reg) != 1 || metric(t, reg, "facmon_journal_records") != 8 {
		t.Fatalf("chain_ok %v, records %v", chainOK(t, reg), metric(t, reg, "facmon_journal_records"))
	}
	before, _ := j.Range(time.Time{}, time.Time{}, Filter{})
	j.Close()

	j2, reg2 := open(t, dir, Options{})
	if j2.Len() != 8 || j2.First() != 1 || j2.Last() != 8 || chainOK(t, reg2) != 1 {
		t.Fatalf("reopened: len %d first %d last %d chain %v", j2.Len(), j2.First(), j2.Last(), chainOK(t, reg2))
	}
	after, err := j2.Range(time.Time{}, time.Time{}, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	ab, _ := json.Marshal(after)
	bb, _ := json.Marshal(before)
	if !bytes.Equal(ab, bb) {
		t.Fatalf("records changed across reopen:\n%s\n%s", bb, ab)
	}
	if after[0].Seq != 8 || after[0].Type != TypeRefusedAction || after[0].Reason != "wrong password" {
		t.Fatalf("newest record = %+v", after[0])
	}
	var tr alarms.Transition
	if err := json.Unmarshal(after[7].Payload, &tr); err != nil || tr.ID != "intrusion/zone-0/0" || tr.Change != alarms.Raise {
		t.Fatalf("oldest payload %s: %v", after[7].Payload, err)
	}
	if n, err := j2.Append(context.Background(), transition(8)); err != nil || n != 9 {
		t.Fatalf("append after reopen = %d, %v", n, err)
	}
	if r, err := Verify(dir); err != nil || !r.OK() || r.Records != 9 || r.First != 1 || r.Last != 9 {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
}

func TestRange(t *testing.T) {
	clk := &testClock{t: t0}
	j, _ := open(t, t.TempDir(), Options{Now: clk.now})
	appendN(t, j, 0, 10, 1) // record i (seq i+1) at t0 + (i+1)s
	sys, _ := NewRecord(TypeSystem, "facmon", "start", "", "", nil)
	if _, err := j.Append(context.Background(), sys); err != nil {
		t.Fatal(err)
	}
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name     string
		from, to time.Time
		f        Filter
		want     []uint64
	}{
		{"all newest first", time.Time{}, time.Time{}, Filter{}, []uint64{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"limit", time.Time{}, time.Time{}, Filter{Limit: 3}, []uint64{11, 10, 9}},
		{"from inclusive to exclusive", at(3), at(6), Filter{}, []uint64{5, 4, 3}},
		{"acks by user", time.Time{}, time.Time{}, Filter{User: "operator-wang"}, []uint64{10, 8, 6, 4, 2}},
		{"action and subject", time.Time{}, time.Time{}, Filter{Action: "raise", Subject: "intrusion/zone-2/2"}, []uint64{5}},
		{"type system", time.Time{}, time.Time{}, Filter{Types: []Type{TypeSystem}}, []uint64{11}},
		{"nothing", at(100), time.Time{}, Filter{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := j.Range(tt.from, tt.to, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []uint64
			for _, r := range got {
				seqs = append(seqs, r.Seq)
			}
			if !slices.Equal(seqs, tt.want) {
				t.Fatalf("seqs %v, want %v", seqs, tt.want)
			}
		})
	}
}

func TestAppendRefusesBadRecords(t *testing.T) {
	j, _ := open(t, t.TempDir(), Options{})
	tests := []struct {
		name string
		r    Record
	}{
		{"no type", Record{Action: "ack"}},
		{"no action", Record{Type: TypeAction}},
		{"payload not JSON", Record{Type: TypeAction, Action: "ack", Payload: []byte("{")}},
		{"user not UTF-8", Record{Type: TypeAction, Action: "ack", User: "\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := j.Append(context.Background(), tt.r); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if j.Len() != 0 || j.Err() != nil {
		t.Fatalf("len %d err %v", j.Len(), j.Err())
	}
}

func TestTornTail(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(b []byte, last frameLoc) []byte
		records int
	}{
		{"half of the last frame", func(b []byte, f frameLoc) []byte { return b[:f.off+frameHeader+f.size/2] }, 4},
		{"only the frame header", func(b []byte, f frameLoc) []byte { return b[:f.off+5] }, 4},
		{"zeros after the last frame", func(b []byte, _ frameLoc) []byte { return append(b, make([]byte, 4096)...) }, 5},
		{"garbage after the last frame", func(b []byte, _ frameLoc) []byte { return append(b, []byte("\x10\x00\x00\x00garbage")...) }, 5},
		{"last frame's CRC wrong", func(b []byte, f frameLoc) []byte { b[f.off+frameHeader+3] ^= 0xff; return b }, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j, _ := open(t, dir, Options{})
			appendN(t, j, 0, 5, 1)
			j.Close()
			seg := segments(t, dir)[0]
			b, _ := os.ReadFile(seg)
			fs := framesOf(t, seg)
			if err := os.WriteFile(seg, tt.tamper(b, fs[len(fs)-1]), 0o600); err != nil {
				t.Fatal(err)
			}
			if r, err := Verify(dir); err != nil || !r.OK() || r.TornBytes == 0 {
				t.Fatalf("Verify before open = %+v, %v; want intact with a torn tail", r, err)
			}
			j2, reg := open(t, dir, Options{})
			if j2.Len() != tt.records || j2.Last() != uint64(tt.records) || chainOK(t, reg) != 1 {
				t.Fatalf("len %d last %d chain %v, want %d", j2.Len(), j2.Last(), chainOK(t, reg), tt.records)
			}
			if n, err := j2.Append(context.Background(), transition(tt.records)); err != nil || n != uint64(tt.records+1) {
				t.Fatalf("append after cut = %d, %v", n, err)
			}
			if r, err := Verify(dir); err != nil || !r.OK() || r.TornBytes != 0 || r.Records != tt.records+1 {
				t.Fatalf("Verify after open = %+v, %v", r, err)
			}
		})
	}
}

func TestCapOverwritesOldest(t *testing.T) {
	dir := t.TempDir()
	j, reg := open(t, dir, Options{MaxRecords: 50, SegmentRecords: 10})
	appendN(t, j, 0, 203, 3)
	// The syncer applies the caps after releasing the appenders; settle.
	j.applyCaps()
	if n := j.Len(); n < 50 || n >= 50+2*12 { // segments of 12 (batches of 3)
		t.Fatalf("len %d, want 50..73", n)
	}
	if j.Last() != 203 || j.First() != uint64(203-j.Len()+1) || j.First() == 1 {
		t.Fatalf("first %d last %d len %d", j.First(), j.Last(), j.Len())
	}
	if got := metric(t, reg, "facmon_journal_dropped_records_total"); int(got) != 203-j.Len() {
		t.Fatalf("dropped %v, want %d", got, 203-j.Len())
	}
	if r, err := Verify(dir); err != nil || !r.OK() || r.First != j.First() {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
	first := j.First()
	j.Close()
	j2, reg2 := open(t, dir, Options{MaxRecords: 50, SegmentRecords: 10})
	if j2.First() != first || chainOK(t, reg2) != 1 {
		t.Fatalf("reopened first %d chain %v", j2.First(), chainOK(t, reg2))
	}
	recs, _ := j2.Range(time.Time{}, time.Time{}, Filter{Limit: 1})
	if len(recs) != 1 || recs[0].Seq != 203 {
		t.Fatalf("newest %+v", recs)
	}
}

func TestCapBySize(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, Options{MaxRecords: 10_000, MaxBytes: 64 << 10, SegmentBytes: 8 << 10})
	appendN(t, j, 0, 600, 10)
	j.applyCaps()
	r, err := Verify(dir)
	if err != nil || !r.OK() || r.Bytes > 64<<10+8<<10 || r.Last != 600 || r.First == 1 {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
}

func TestInterruptedDrop(t *testing.T) {
	// A crash between writing the anchor and removing the old segment.
	dir := t.TempDir()
	j, _ := open(t, dir, Options{MaxRecords: 20, SegmentRecords: 10})
	appendN(t, j, 0, 25, 1)
	j.Close()
	segs := segments(t, dir)
	ids, _ := listSegments(dir)
	if err := writeAnchor(dir, link{seq: ids[1], hash: headOf(t, segs[1]).hash}); err != nil {
		t.Fatal(err)
	}
	if r, err := Verify(dir); err != nil || !r.OK() || r.First != ids[1] {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
	j2, reg := open(t, dir, Options{MaxRecords: 20, SegmentRecords: 10})
	if j2.First() != ids[1] || chainOK(t, reg) != 1 {
		t.Fatalf("first %d chain %v", j2.First(), chainOK(t, reg))
	}
	if _, err := os.Stat(segs[0]); !os.IsNotExist(err) {
		t.Fatalf("stale segment still there: %v", err)
	}
}

func headOf(t *testing.T, path string) link {
	b, _ := os.ReadFile(path)
	l, ok := decodeLink(segMagic, b)
	if !ok {
		t.Fatalf("%s: bad header", path)
	}
	return l
}

func TestTransitionsOutput(t *testing.T) {
	j, _ := open(t, t.TempDir(), Options{})
	var out alarms.Output = j
	ts := []alarms.Transition{{ID: "a/1/0", Change: alarms.Raise}, {ID: "a/1/0", Change: alarms.Ack, By: "zhang"}}
	if err := out.Transitions(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
	recs, _ := j.Range(time.Time{}, time.Time{}, Filter{})
	if len(recs) != 2 || recs[0].User != "zhang" || recs[0].Action != "ack" || recs[1].User != "engine" || recs[1].Subject != "a/1/0" {
		t.Fatalf("records %+v", recs)
	}
}

func TestClosed(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, dir, Options{})
	j.Close()
	if _, err := j.Append(context.Background(), transition(0)); err != ErrClosed {
		t.Fatalf("Append after Close = %v", err)
	}
	if err := j.Snapshot(context.Background(), nil, 0); err != ErrClosed {
		t.Fatalf("Snapshot after Close = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, anchorName)); err != nil {
		t.Fatal(err)
	}
}

// TestDefaultCapKeepsTenThousand: with the defaults the journal keeps at
// least 10,000 records and overwrites the oldest beyond (篇3·二十二·7).
func TestDefaultCapKeepsTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("appends 12,500 records")
	}
	dir := t.TempDir()
	j, reg := open(t, dir, Options{})
	appendN(t, j, 0, 12_500, 250)
	j.applyCaps()
	if n := j.Len(); n < DefaultMaxRecords || n > DefaultMaxRecords+2*DefaultSegmentRecords || j.First() == 1 {
		t.Fatalf("len %d first %d", n, j.First())
	}
	if r, err := Verify(dir); err != nil || !r.OK() || r.Last != 12_500 || r.Records != j.Len() {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
	if metric(t, reg, "facmon_journal_records") != float64(j.Len()) || metric(t, reg, "facmon_journal_bytes") <= 0 {
		t.Fatal("records/bytes gauges wrong")
	}
}
