package journal

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestSnapshotRestore(t *testing.T) {
	dir := t.TempDir()
	j, reg := open(t, dir, Options{})
	appendN(t, j, 0, 10, 2)
	if err := j.Snapshot(context.Background(), []byte(`{"active":["zone-1"]}`), 10); err != nil {
		t.Fatal(err)
	}
	appendN(t, j, 10, 15, 1)
	if metric(t, reg, "facmon_journal_snapshots_total") != 1 {
		t.Fatal("snapshot not counted")
	}
	j.Close()

	j2, _ := open(t, dir, Options{})
	state, since, recs, err := j2.Restore()
	if err != nil || string(state) != `{"active":["zone-1"]}` || since != 10 {
		t.Fatalf("Restore = %q, %d, %v", state, since, err)
	}
	if len(recs) != 5 || recs[0].Seq != 11 || recs[4].Seq != 15 || recs[0].Subject != transition(10).Subject {
		t.Fatalf("replay %d records, first %+v", len(recs), recs)
	}
}

func TestSnapshotRefused(t *testing.T) {
	j, _ := open(t, t.TempDir(), Options{MaxRecords: 4, SegmentRecords: 2})
	appendN(t, j, 0, 20, 1)
	j.applyCaps()
	tests := []struct {
		name string
		seq  uint64
	}{
		{"beyond the end", 21},
		{"overwritten by the cap", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := j.Snapshot(context.Background(), nil, tt.seq); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestRestoreFallsBack(t *testing.T) {
	tests := []struct {
		name      string
		damage    func(t *testing.T, path string)
		wantState string
		wantSince uint64
	}{
		{"newest intact", func(*testing.T, string) {}, "s20", 20},
		{"byte flipped", func(t *testing.T, p string) {
			rewrite(t, p, func(b []byte) []byte { b[len(b)/2] ^= 1; return b })
		}, "s10", 10},
		{"truncated", func(t *testing.T, p string) {
			rewrite(t, p, func(b []byte) []byte { return b[:len(b)-3] })
		}, "s10", 10},
		{"empty file", func(t *testing.T, p string) {
			rewrite(t, p, func([]byte) []byte { return nil })
		}, "s10", 10},
		{"from another journal", func(t *testing.T, p string) {
			b := encodeSnapshot(snapshot{seq: 20, time: t0, hash: Hash{1}, state: []byte("alien")})
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "s10", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j, _ := open(t, dir, Options{Backups: Backups{Keep: 5}})
			for _, s := range []uint64{5, 10, 20} {
				appendN(t, j, int(j.Last()), int(s), 1)
				if err := j.Snapshot(context.Background(), []byte("s"+strconv.Itoa(int(s))), s); err != nil {
					t.Fatal(err)
				}
			}
			appendN(t, j, 20, 25, 1)
			j.Close()
			tt.damage(t, filepath.Join(dir, snapDir, snapName(20)))
			j2, _ := open(t, dir, Options{})
			state, since, recs, err := j2.Restore()
			if err != nil || string(state) != tt.wantState || since != tt.wantSince {
				t.Fatalf("Restore = %q, %d, %v; want %q, %d", state, since, err, tt.wantState, tt.wantSince)
			}
			if len(recs) != int(25-since) || recs[0].Seq != since+1 {
				t.Fatalf("replay %d records from %d", len(recs), recs[0].Seq)
			}
		})
	}
}

func TestRestoreWithoutSnapshot(t *testing.T) {
	j, _ := open(t, t.TempDir(), Options{})
	appendN(t, j, 0, 3, 1)
	state, since, recs, err := j.Restore()
	if err != nil || state != nil || since != 0 || len(recs) != 3 {
		t.Fatalf("Restore = %q, %d, %d records, %v", state, since, len(recs), err)
	}
}

func TestBackupLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		var jp atomic.Pointer[Journal]
		state := func(context.Context) ([]byte, uint64, error) {
			n := jp.Load().Last()
			return []byte("state-" + strconv.Itoa(int(n))), n, nil
		}
		j, reg := open(t, dir, Options{Backups: Backups{Interval: time.Minute, Keep: 2, State: state}})
		jp.Store(j)
		time.Sleep(time.Hour)
		synctest.Wait()
		if got := metric(t, reg, "facmon_journal_snapshots_total"); got != 0 {
			t.Fatalf("%v snapshots before Restore", got)
		}
		if _, _, _, err := j.Restore(); err != nil { // starts the backups
			t.Fatal(err)
		}
		for i := range 4 {
			appendN(t, j, i, i+1, 1)
			time.Sleep(time.Minute)
			synctest.Wait()
		}
		if got := metric(t, reg, "facmon_journal_snapshots_total"); got != 4 {
			t.Fatalf("snapshots_total %v, want 4", got)
		}
		seqs, _ := listSnapshots(filepath.Join(dir, snapDir))
		if len(seqs) != 2 || seqs[0] != 4 || seqs[1] != 3 {
			t.Fatalf("kept snapshots %v, want [4 3]", seqs)
		}
		st, since, recs, err := j.Restore()
		if err != nil || string(st) != "state-4" || since != 4 || len(recs) != 0 {
			t.Fatalf("Restore = %q %d %d %v", st, since, len(recs), err)
		}
		j.Close()
	})
}
