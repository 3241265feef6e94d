package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/alarms"
	"facmon/collectors"

	"facmon/internal/testsupport"
)

func TestRunner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewRegistry()
		rec := &testsupport.Transitions{}
		r, err := NewRunner(RunnerOptions{Engine: New(Options{Rules: ruleSet(t, tankLow)}), Output: rec,
			Clock: time.Now, Registerer: reg, Tick: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { r.Run(ctx) })
		defer wg.Wait()
		defer cancel()

		start := time.Now()
		r.Publish(ctx, []collectors.Point{{Device: "tank-1", Signal: "level", Value: 0.5, Time: start}})
		time.Sleep(29 * time.Second) // the bubble's clock; the on-delay is 30 s
		synctest.Wait()
		if got := rec.Changes(); len(got) != 0 {
			t.Fatalf("before the on-delay: %v", got)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := rec.Changes(); len(got) != 1 || got[0] != alarms.Raise {
			t.Fatalf("after the on-delay: %v", got)
		}
		if _, ok := r.Ack(ctx, rec.All()[0].ID, "op"); !ok {
			t.Fatal("ack refused")
		}
		r.Reload(ctx, nil, errors.New("bad.yaml:3:1: boom"))
		if v := testutil.ToFloat64(r.m.reloadOK); v != 0 {
			t.Errorf("facmon_rules_last_reload_successful = %v after a failed reload", v)
		}
		// The old rules keep working after the failed reload.
		r.Publish(ctx, []collectors.Point{{Device: "tank-2", Signal: "level", Value: 0.5, Time: time.Now()}})
		time.Sleep(31 * time.Second)
		synctest.Wait()
		if got := rec.Changes(); len(got) != 3 || got[2] != alarms.Raise {
			t.Fatalf("after a failed reload: %v", got)
		}
		r.Reload(ctx, ruleSet(t, tankLow), nil)
		synctest.Wait()
		if v := testutil.ToFloat64(r.m.reloadOK); v != 1 {
			t.Errorf("facmon_rules_last_reload_successful = %v after a good reload", v)
		}
		if got := rec.Changes(); len(got) != 3 {
			t.Fatalf("reload of an unchanged rule changed alarms: %v", got)
		}
	})
}

// TestEvaluateHandsOnBeforeReturning: Evaluate runs the engine on the
// caller's goroutine, so the fan-out's Settled means evaluated and
// journaled (the spool fsyncs a point after its alarm's journal fsync).
func TestEvaluateHandsOnBeforeReturning(t *testing.T) {
	rec := &testsupport.Transitions{}
	r, err := NewRunner(RunnerOptions{Engine: New(Options{Rules: ruleSet(t, strings.Replace(tankLow, "on_delay: 30s", "on_delay: 0s", 1))}),
		Output: rec, Clock: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.Evaluate(t.Context(), []collectors.Point{level("tank-1", 0.5, 0)}) // no Run: nothing else evaluates
	if got := rec.Changes(); len(got) != 1 || got[0] != alarms.Raise {
		t.Fatalf("when Evaluate returned: %v, want the raise", got)
	}
	if n := testutil.ToFloat64(r.m.points); n != 1 {
		t.Fatalf("facmon_alarm_points_total = %v, want 1", n)
	}
}
