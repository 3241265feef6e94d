package journal

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	kill9Env     = "FACMON_JOURNAL_KILL9_DIR"
	kill9Alarms  = 500 // a raise and an ack each: 1,000 records
	kill9Workers = 8
	killAfter    = 300 // printed seqs before the SIGKILL
)

// TestKill9 (Must show, issue 5): a child process appends a burst of
// 1,000 transitions and acknowledgements from 8 goroutines, printing each
// seq once Append returned, while taking automatic snapshots of its state
// (the set of records applied), a new segment every 50 records; the
// parent kills it with SIGKILL
// mid-burst and reopens the journal: every printed seq is there with its
// record, none twice, the chain intact, and snapshot + replay give back
// every acknowledged record exactly once.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$")
	cmd.Env = append(os.Environ(), kill9Env+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	printed, done := readUntilKilled(t, cmd, bufio.NewScanner(out))
	if done {
		t.Fatal("the child finished its burst before the kill; the test proved nothing")
	}
	r, err := Verify(dir)
	if err != nil || !r.OK() {
		t.Fatalf("Verify after kill -9 = %+v (break %v), %v", r, r.Broken, err)
	}
	t.Logf("killed after %d printed seqs; on disk %d records in %d segments, torn tail %d bytes", len(printed), r.Records, r.Segments, r.TornBytes)

	j, reg := open(t, dir, Options{})
	if chainOK(t, reg) != 1 {
		t.Fatal("chain broken after kill -9")
	}
	recs, err := j.Since(0)
	if err != nil {
		t.Fatal(err)
	}
	inJournal := checkUnique(t, recs)
	for seq, key := range printed {
		if inJournal[seq] != key {
			t.Errorf("printed seq %d (%s) is %q in the journal", seq, key, inJournal[seq])
		}
	}
	checkRestore(t, j, printed)
}

// readUntilKilled reads "seq key" lines, sends SIGKILL after killAfter of
// them, and reads what the child had printed before it died.
func readUntilKilled(t *testing.T, cmd *exec.Cmd, sc *bufio.Scanner) (map[uint64]string, bool) {
	printed := map[uint64]string{}
	done, killed := false, false
	for sc.Scan() {
		line := sc.Text()
		if line == "done" {
			done = true
			continue
		}
		seq, key, ok := strings.Cut(line, " ")
		n, err := strconv.ParseUint(seq, 10, 64)
		if !ok || err != nil {
			t.Fatalf("child printed %q", line)
		}
		if _, dup := printed[n]; dup {
			t.Fatalf("seq %d returned twice", n)
		}
		printed[n] = key
		if len(printed) == killAfter && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	if err := cmd.Wait(); err == nil && killed {
		t.Fatal("child exited cleanly after SIGKILL")
	}
	return printed, done
}

// checkUnique checks seqs 1..n without gaps and each (alarm, change) once.
func checkUnique(t *testing.T, recs []Record) map[uint64]string {
	t.Helper()
	bySeq, byKey := map[uint64]string{}, map[string]uint64{}
	for i, r := range recs {
		key := r.Subject + "|" + r.Action
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i+1, r.Seq)
		}
		if prev, dup := byKey[key]; dup {
			t.Fatalf("%s journaled twice: seqs %d and %d", key, prev, r.Seq)
		}
		bySeq[r.Seq], byKey[key] = key, r.Seq
	}
	return bySeq
}

// checkRestore rebuilds the child's state from the newest snapshot and the
// records after it: every printed record is there exactly once.
func checkRestore(t *testing.T, j *Journal, printed map[uint64]string) {
	t.Helper()
	state, since, recs, err := j.Restore()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	if state != nil {
		if err := json.Unmarshal(state, &keys); err != nil {
			t.Fatal(err)
		}
	}
	if len(keys) != int(since) {
		t.Fatalf("snapshot covers %d records, holds %d", since, len(keys))
	}
	seen := map[string]int{}
	for _, k := range keys {
		seen[k]++
	}
	for _, r := range recs {
		seen[r.Subject+"|"+r.Action]++
	}
	for seq, key := range printed {
		if seen[key] != 1 {
			t.Errorf("seq %d %s restored %d times", seq, key, seen[key])
		}
	}
	t.Logf("restored from snapshot at seq %d + %d replayed records", since, len(recs))
}

// TestKill9Child is the child of TestKill9.
func TestKill9Child(t *testing.T) {
	dir := os.Getenv(kill9Env)
	if dir == "" {
		t.Skip("run by TestKill9")
	}
	m := &model{applied: map[uint64]string{}}
	j, err := Open(Options{Dir: dir, SyncWindow: 2 * time.Millisecond, VerifyInterval: -1, SegmentRecords: 50,
		Backups: Backups{Interval: 20 * time.Millisecond, Keep: 3, State: m.state}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := j.Restore(); err != nil { // a fresh journal; starts the backups
		t.Fatal(err)
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := range kill9Workers {
		wg.Go(func() {
			for a := w; a < kill9Alarms; a += kill9Workers {
				for _, r := range []Record{transition(2 * a), transition(2*a + 1)} {
					seq, err := j.Append(context.Background(), r)
					if err != nil {
						panic(err)
					}
					key := r.Subject + "|" + r.Action
					out.Lock()
					fmt.Fprintf(os.Stdout, "%d %s\n", seq, key)
					out.Unlock()
					m.apply(seq, key)
				}
			}
		})
	}
	wg.Wait()
	fmt.Println("done")
	j.Close()
}

// model stands for the lifecycle layer: it applies each record once
// journaled, and its state covers the longest gap-free prefix of seqs.
type model struct {
	mu      sync.Mutex
	applied map[uint64]string
	upto    uint64
}

func (m *model) apply(seq uint64, key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applied[seq] = key
	for m.applied[m.upto+1] != "" {
		m.upto++
	}
}

func (m *model) state(context.Context) ([]byte, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, m.upto)
	for s := uint64(1); s <= m.upto; s++ {
		keys = append(keys, m.applied[s])
	}
	sort.Strings(keys)
	b, err := json.Marshal(keys)
	return b, m.upto, err
}
