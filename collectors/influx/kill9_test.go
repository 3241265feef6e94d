package influx

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/collectors"
	"facmon/collectors/spool"
	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

// The kill -9 test re-executes this test binary as the child: a writer
// under load (mode "load") or one that drains the spool and exits (mode
// "drain").
const (
	envMode   = "FACMON_KILL9_MODE"
	envDir    = "FACMON_KILL9_DIR"
	envURL    = "FACMON_KILL9_URL"
	envBucket = "FACMON_KILL9_BUCKET"
	k9Points  = 20 // points per batch: devices d00..d19 at time base + i ms
)

var k9Base = time.Unix(1700000000, 0)

// TestKill9 is the Must-show of issue 2: a writer is killed with SIGKILL
// mid-load, restarted on the same spool, and every batch whose Publish had
// returned (acknowledged on the child's stdout) is in InfluxDB.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test; not with -short")
	}
	in := testbed.StartInflux(t)
	dir := t.TempDir()
	child := startChild(t, "load", dir, in)
	acks := make(chan int, 1<<16)
	done := make(chan struct{})
	go func() { readAcks(child.stdout, acks); close(done) }()
	testsupport.Eventually(t, 30*time.Second, "child under load, some of it in InfluxDB", func() bool {
		return len(acks) >= 1000 && count(t, in, `SELECT count(v) FROM kill9`) > 0
	})
	_ = child.cmd.Process.Signal(syscall.SIGKILL)
	_ = child.cmd.Wait()
	<-done
	close(acks)
	acked := map[int]bool{}
	for i := range acks {
		acked[i] = true
	}
	t.Logf("killed after %d acknowledged batches; %d points in InfluxDB", len(acked), count(t, in, `SELECT count(v) FROM kill9`))

	drain := startChild(t, "drain", dir, in)
	out, _ := bufio.NewReader(drain.stdout).ReadString(0)
	if err := drain.cmd.Wait(); err != nil {
		t.Fatalf("drain child: %v\n%s", err, out)
	}
	t.Logf("drain child: %s", strings.TrimSpace(out))
	checkAcked(t, in, acked)
}

type child struct {
	cmd    *exec.Cmd
	stdout *os.File
}

func startChild(t *testing.T, mode, dir string, in *testbed.Influx) child {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.count=1")
	cmd.Env = append(os.Environ(), envMode+"="+mode, envDir+"="+dir, envURL+"="+in.URL, envBucket+"="+in.Bucket())
	cmd.Stdout, cmd.Stderr = w, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill(); r.Close() })
	return child{cmd: cmd, stdout: r}
}

func readAcks(r *os.File, acks chan<- int) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if s, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
			if i, err := strconv.Atoi(s); err == nil {
				acks <- i
			}
		}
	}
}

// checkAcked counts the points of each batch (one timestamp per batch).
func checkAcked(t *testing.T, in *testbed.Influx, acked map[int]bool) {
	t.Helper()
	r, err := in.Query(`SELECT count(v) FROM kill9 WHERE time >= 0 GROUP BY time(1ms) fill(none)`)
	if err != nil {
		t.Fatal(err)
	}
	have := map[int]int{}
	for _, s := range r.Results[0].Series {
		for _, row := range s.Values {
			ts, _ := row[0].(float64)
			n, _ := row[1].(float64)
			i := int((time.Duration(int64(ts)) - time.Duration(k9Base.UnixNano()) + time.Millisecond/2) / time.Millisecond)
			have[i] = int(n)
		}
	}
	missing := 0
	for i := range acked {
		if have[i] != k9Points {
			missing++
			if missing < 10 {
				t.Errorf("acknowledged batch %d: %d of %d points in InfluxDB", i, have[i], k9Points)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged batches incomplete", missing, len(acked))
	}
	t.Logf("all %d acknowledged batches complete; %d batches in InfluxDB", len(acked), len(have))
}

// TestKill9Child is the child process of TestKill9; it does nothing in a
// normal test run.
func TestKill9Child(t *testing.T) {
	mode := os.Getenv(envMode)
	if mode == "" {
		t.Skip("child of TestKill9 only")
	}
	reg := prometheus.NewRegistry()
	sp, err := spool.Open(spool.Options{Dir: os.Getenv(envDir), SegmentBytes: 256 << 10, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(Options{URL: os.Getenv(envURL), Bucket: os.Getenv(envBucket), BatchSize: 1000,
		FlushInterval: 50 * time.Millisecond, Spool: sp, Registerer: reg, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Run(ctx) })
	if mode == "load" {
		load(ctx, w) // until killed
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer ccancel()
	err = w.Close(cctx)
	cancel()
	wg.Wait()
	fmt.Printf("drained: err=%v truncated_bytes=%v spooled=%v\x00", err,
		gather(reg, "facmon_spool_truncated_bytes_total"), gather(reg, "facmon_points_spooled"))
	if err != nil {
		t.Fatal(err)
	}
}

// load publishes batches from four goroutines (so appends share fsyncs)
// and acknowledges each on stdout once Publish returned.
func load(ctx context.Context, w *Writer) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; ctx.Err() == nil; i += 4 {
				batch := make([]collectors.Point, k9Points)
				for d := range batch {
					batch[d] = collectors.Point{Site: "demo", Kind: "kill9", Device: fmt.Sprintf("d%02d", d),
						Signal: "v", Value: float64(i), Time: k9Base.Add(time.Duration(i) * time.Millisecond)}
				}
				if err := w.Publish(ctx, batch); err != nil {
					continue
				}
				mu.Lock()
				fmt.Printf("ACK %d\n", i)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func gather(reg *prometheus.Registry, name string) float64 {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			return m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return -1
}
