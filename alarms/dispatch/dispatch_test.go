package dispatch

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/alarms"

	"facmon/internal/testsupport"
)

// recorder is an output that keeps what it got and can be held up.
type recorder struct {
	mu   sync.Mutex
	ids  []string
	gate chan struct{} // nil: never blocks
	err  error
}

func (r *recorder) Transitions(ctx context.Context, ts []alarms.Transition) error {
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range ts {
		r.ids = append(r.ids, t.ID)
	}
	return r.err
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

func batch(ids ...string) []alarms.Transition {
	out := make([]alarms.Transition, len(ids))
	for i, id := range ids {
		out[i] = alarms.Transition{ID: id, Change: alarms.Raise}
	}
	return out
}

func start(t *testing.T, d *Dispatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = d.Run(ctx) })
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

func TestNewRejectsBadTargets(t *testing.T) {
	out := &recorder{}
	for _, tc := range []struct {
		name    string
		targets []Target
		want    string
	}{
		{"no name", []Target{{Output: out}}, "target 0: no name"},
		{"no output", []Target{{Name: "mqtt"}}, `target 0: "mqtt": no output`},
		{"duplicate", []Target{{Name: "a", Output: out}, {Name: "a", Output: out}}, `target 1: "a": name used twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Targets: tc.targets})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestOrderKeptPerOutput(t *testing.T) {
	a, b := &recorder{}, &recorder{}
	d, err := New(Options{Targets: []Target{{Name: "a", Output: a}, {Name: "b", Output: b}}})
	if err != nil {
		t.Fatal(err)
	}
	start(t, d)
	var want []string
	for i := range 100 {
		id := string(rune('A'+i%26)) + strings.Repeat("x", i)
		want = append(want, id)
		_ = d.Transitions(context.Background(), batch(id))
	}
	for name, r := range map[string]*recorder{"a": a, "b": b} {
		testsupport.Eventually(t, 10*time.Second, name+" gets all", func() bool { return len(r.got()) == len(want) })
		if got := r.got(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: order %v", name, got)
		}
	}
}

// A stuck output (a dead broker) fills its own queue and loses batches,
// counted; the engine's call never blocks and the other output gets all.
func TestSlowOutputDropsOnlyItsOwn(t *testing.T) {
	reg := prometheus.NewRegistry()
	slow, fast := &recorder{gate: make(chan struct{})}, &recorder{}
	d, err := New(Options{Registerer: reg, Targets: []Target{
		{Name: "slow", Output: slow, Queue: 2}, {Name: "fast", Output: fast}}})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, d)
	const n = 50
	_ = d.Transitions(context.Background(), batch("t0"))
	testsupport.Eventually(t, 10*time.Second, "slow output holds the first batch", func() bool {
		return testutil.ToFloat64(d.queues[0].depth) == 0
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i < n; i++ {
			_ = d.Transitions(context.Background(), batch("t"+string(rune('0'+i%10))))
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Transitions blocked behind a stuck output")
	}
	testsupport.Eventually(t, 10*time.Second, "fast output gets all", func() bool { return len(fast.got()) == n })
	// The slow output holds one batch in hand and two queued; the rest drop.
	testsupport.Eventually(t, 10*time.Second, "drops counted", func() bool {
		return testutil.ToFloat64(d.queues[0].dropped) == n-3
	})
	if got := testutil.ToFloat64(d.queues[1].dropped); got != 0 {
		t.Fatalf("fast output dropped %v", got)
	}
	close(slow.gate)
	testsupport.Eventually(t, 10*time.Second, "slow output gets what was queued", func() bool { return len(slow.got()) == 3 })
	stop()
}

func TestShutdownDrainsQueues(t *testing.T) {
	gate := make(chan struct{})
	r := &recorder{gate: gate}
	d, err := New(Options{Targets: []Target{{Name: "influx", Output: r}}})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, d)
	for _, id := range []string{"a", "b", "c"} {
		_ = d.Transitions(context.Background(), batch(id))
	}
	close(gate) // the output becomes healthy just as we shut down
	stop()
	if got := strings.Join(r.got(), ","); got != "a,b,c" {
		t.Fatalf("after shutdown the output got %q, want a,b,c", got)
	}
}

func TestOutputErrorsCounted(t *testing.T) {
	r := &recorder{err: errors.New("broker down")}
	d, err := New(Options{Targets: []Target{{Name: "mqtt", Output: r}}})
	if err != nil {
		t.Fatal(err)
	}
	start(t, d)
	_ = d.Transitions(context.Background(), batch("a", "b"))
	testsupport.Eventually(t, 10*time.Second, "error counted", func() bool { return testutil.ToFloat64(d.queues[0].errs) == 1 })
}

func TestCallerMayReuseItsSlice(t *testing.T) {
	gate := make(chan struct{})
	r := &recorder{gate: gate}
	d, _ := New(Options{Targets: []Target{{Name: "a", Output: r}}})
	start(t, d)
	ts := batch("first")
	_ = d.Transitions(context.Background(), ts)
	ts[0].ID = "overwritten"
	close(gate)
	testsupport.Eventually(t, 10*time.Second, "delivered", func() bool { return len(r.got()) == 1 })
	if r.got()[0] != "first" {
		t.Fatalf("got %q: the dispatcher kept the caller's slice", r.got()[0])
	}
}
