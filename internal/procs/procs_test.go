package procs

import (
	"context"
	"os"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestPolicyGoesToOneWhenCalmAndBackAtOnceWhenBusy(t *testing.T) {
	var p policy
	p.init(Options{High: 0.5, Low: 0.25, Calm: 3})
	steps := []struct {
		cores   float64
		one     bool
		changed bool
	}{
		{0.9, false, false}, // busy: stays on the default
		{0.1, false, false}, // calm 1
		{0.2, false, false}, // calm 2
		{0.3, false, false}, // above low: the count starts again
		{0.1, false, false},
		{0.1, false, false},
		{0.25, true, true}, // third calm sample in a row (low itself counts)
		{0.4, true, false}, // between low and high: one processor is still enough
		{0.1, true, false},
		{0.51, false, true}, // above high: the default at once
		{0.1, false, false},
	}
	for i, s := range steps {
		one, changed := p.sample(s.cores)
		if one != s.one || changed != s.changed {
			t.Fatalf("step %d (%.2f cores): one=%v changed=%v, want %v %v", i, s.cores, one, changed, s.one, s.changed)
		}
	}
}

// fakeProcess is a process whose CPU use the test sets, and which records
// what the governor set.
type fakeProcess struct {
	mu    sync.Mutex
	cpu   time.Duration
	cores float64 // CPU use from now on
	at    time.Time
	sets  []bool
}

func (f *fakeProcess) CPU() (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	f.cpu += time.Duration(f.cores * float64(now.Sub(f.at)))
	f.at = now
	return f.cpu, nil
}

func (f *fakeProcess) use(cores float64) {
	_, _ = f.CPU()
	f.mu.Lock()
	f.cores = cores
	f.mu.Unlock()
}

func (f *fakeProcess) Set(one bool) {
	f.mu.Lock()
	f.sets = append(f.sets, one)
	f.mu.Unlock()
}

func (f *fakeProcess) got() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.sets...)
}

func TestGovernorFollowsTheLoadAndRestoresOnStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProcess{at: time.Now(), cores: 0.05}
		reg := prometheus.NewRegistry()
		g := New(Options{CPU: f.CPU, Set: f.Set, Default: func() int { return 4 }, Registerer: reg})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- g.Run(ctx) }()

		time.Sleep(DefaultCalm*DefaultEvery - DefaultEvery/2) // not yet calm long enough
		synctest.Wait()
		if s := f.got(); len(s) != 0 {
			t.Fatalf("switched before %d calm samples: %v", DefaultCalm, s)
		}
		time.Sleep(DefaultEvery)
		synctest.Wait()
		if s := f.got(); len(s) != 1 || !s[0] {
			t.Fatalf("after %d calm samples: sets %v, want [one]", DefaultCalm, s)
		}
		if v := testutil.ToFloat64(g.procs); v != 1 {
			t.Fatalf("facmon_gomaxprocs = %v, want 1", v)
		}

		f.use(0.9) // a backlog drain: all processors within a period or two
		time.Sleep(2 * DefaultEvery)
		synctest.Wait()
		if s := f.got(); len(s) != 2 || s[1] {
			t.Fatalf("after a busy sample: sets %v, want [one default]", s)
		}
		if v := testutil.ToFloat64(g.procs); v != 4 {
			t.Fatalf("facmon_gomaxprocs = %v, want 4", v)
		}

		f.use(0.01)
		time.Sleep((DefaultCalm + 2) * DefaultEvery)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if s := f.got(); len(s) != 4 || !s[2] || s[3] {
			t.Fatalf("sets %v, want [one default one default]: Run restores the default when it ends", s)
		}
		if v := testutil.ToFloat64(g.changes); v != 3 {
			t.Fatalf("facmon_gomaxprocs_changes_total = %v, want 3", v)
		}
	})
}

func TestGovernorIsOffWithOneProcessorOrTheEnvironment(t *testing.T) {
	for _, n := range []int{0, 1} { // 0: GOMAXPROCS set in the environment
		synctest.Test(t, func(t *testing.T) {
			f := &fakeProcess{at: time.Now()}
			g := New(Options{CPU: f.CPU, Set: f.Set, Default: func() int { return n }})
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- g.Run(ctx) }()
			time.Sleep(time.Minute)
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if s := f.got(); len(s) != 0 {
				t.Fatalf("default %d: governor set %v", n, s)
			}
		})
	}
}

func TestEnvironmentTurnsTheGovernorOff(t *testing.T) {
	t.Setenv("GOMAXPROCS", "2")
	g := New(Options{})
	if n := g.o.Default(); n != 0 {
		t.Fatalf("with GOMAXPROCS in the environment the default to govern is %d, want 0 (off)", n)
	}
}

func TestRuntimeSwitchesAndRestores(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 || os.Getenv("GOMAXPROCS") != "" {
		t.Skip("one processor, or set in the environment: nothing to switch")
	}
	t.Cleanup(func() { runtime.SetDefaultGOMAXPROCS() })
	want := runtime.GOMAXPROCS(0)
	setRuntime(true)
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Fatalf("after setRuntime(true) GOMAXPROCS = %d", n)
	}
	setRuntime(false)
	if n := runtime.GOMAXPROCS(0); n != want {
		t.Fatalf("after setRuntime(false) GOMAXPROCS = %d, want %d", n, want)
	}
	cpu, err := processCPU()
	if err != nil || cpu <= 0 {
		t.Fatalf("processCPU = %v, %v", cpu, err)
	}
}

func TestBusySwitchesAtOnceAndRestartsTheCalmCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeProcess{at: time.Now(), cores: 0.05}
		g := New(Options{CPU: f.CPU, Set: f.Set, Default: func() int { return 2 }})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- g.Run(ctx) }()
		g.Busy() // on the default already: nothing to switch
		time.Sleep(DefaultCalm*DefaultEvery + DefaultEvery/2)
		synctest.Wait()
		if s := f.got(); len(s) != 1 || !s[0] {
			t.Fatalf("after %d calm samples: sets %v, want [one]", DefaultCalm, s)
		}

		g.Busy() // a backlog: the default now, not at the next sample
		synctest.Wait()
		if s := f.got(); len(s) != 2 || s[1] {
			t.Fatalf("right after Busy: sets %v, want [one default]", s)
		}
		time.Sleep((DefaultCalm - 1) * DefaultEvery) // calm again, but counted from Busy
		synctest.Wait()
		if s := f.got(); len(s) != 2 {
			t.Fatalf("%d calm samples after Busy: sets %v, want no switch yet", DefaultCalm-1, s)
		}
		time.Sleep(DefaultEvery)
		synctest.Wait()
		if s := f.got(); len(s) != 3 || !s[2] {
			t.Fatalf("%d calm samples after Busy: sets %v, want [one default one]", DefaultCalm, s)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestBusyOnANilGovernorIsANoOp(t *testing.T) {
	var g *Governor
	g.Busy()
}
