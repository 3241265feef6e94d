// Package backtest replays a site's recorded history through the alarm
// engine on a simulated clock, once with the site's current rules and once
// with proposed ones, and reports what the change would have done: per
// rule and device the alarms raised, time in alarm, chattering, longest and
// median durations, and each alarm that appears or disappears. It uses the
// engine's pure evaluation path (alarms/engine: Process and Advance with
// the points' own times), never the live alarm service, so nothing is
// journaled or notified. The history comes from a Source (package
// alarms/backtest/history reads InfluxDB); the reports are rendered as a
// terminal table, JSON or one HTML page (render.go, html.go).
package backtest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"facmon/alarms"
	"facmon/alarms/engine"
	"facmon/alarms/rules"
	"facmon/collectors"
	"facmon/internal/site"
)

// Source delivers a site's recorded points in [from, to) in time order:
// when sel is not nil, only of the devices it names and of the signals it
// lists for each (with their status points).
type Source interface {
	Read(ctx context.Context, s *site.Site, from, to time.Time, sel map[string][]string, fn func([]collectors.Point) error) error
}

// Options configure one backtest.
type Options struct {
	// Site is the site the history belongs to.
	Site *site.Site
	// Old are the site's current rules, New the proposed ones; both
	// validated against Site.
	Old, New *rules.Set
	// From and To bound the replayed history, [From, To).
	From, To time.Time
	// Gap is the longest silence of a device that is not reported as a
	// gap in the data (default DefaultGap).
	Gap time.Duration
	// Buckets is the number of time buckets of the value envelope drawn
	// in the HTML timelines (default 600).
	Buckets int
}

// DefaultGap is the silence after which a device's data counts as a gap.
const DefaultGap = 10 * time.Minute

// ChatterWindow and ChatterCount define chattering: an alarm raised at
// least ChatterCount times within ChatterWindow.
const (
	ChatterWindow = 10 * time.Minute
	ChatterCount  = 3
)

// Run replays src through both rule sets and returns the report.
func Run(ctx context.Context, src Source, o Options) (*Report, error) {
	if o.Site == nil || o.Old == nil || o.New == nil {
		return nil, errors.New("backtest: site and both rule sets are required")
	}
	if !o.To.After(o.From) {
		return nil, fmt.Errorf("backtest: --to %s is not after --from %s", o.To.Format(time.RFC3339), o.From.Format(time.RFC3339))
	}
	if o.Gap <= 0 {
		o.Gap = DefaultGap
	}
	if o.Buckets <= 0 {
		o.Buckets = 600
	}
	rp := newReplay(&o)
	if err := src.Read(ctx, o.Site, o.From, o.To, rp.sel, rp.batch); err != nil {
		return nil, fmt.Errorf("backtest: reading history: %w", err)
	}
	rp.finish()
	return rp.report(), nil
}

// replay is one backtest in progress: two engines fed the same points.
type replay struct {
	o        *Options
	old, new *engine.Engine
	rec      [2]*recorder
	gaps     *gapFinder
	env      *envelopes
	sel      map[string][]string
	points   int
}

func newReplay(o *Options) *replay {
	sel := selection(o.Old, o.New)
	rp := &replay{o: o, sel: sel,
		old:  engine.New(engine.Options{Rules: o.Old}),
		new:  engine.New(engine.Options{Rules: o.New}),
		rec:  [2]*recorder{newRecorder(), newRecorder()},
		gaps: newGapFinder(o.Site, sel, o.From, o.Gap),
		env:  newEnvelopes(o, o.Old, o.New),
	}
	// Arm the silence timers at the start of the history, as a service
	// started then would.
	rp.record(rp.old.Advance(o.From), rp.new.Advance(o.From))
	return rp
}

// batch plays points of the history on both engines.
func (rp *replay) batch(pts []collectors.Point) error {
	rp.points += len(pts)
	for i := range pts {
		rp.gaps.see(&pts[i])
		rp.env.see(&pts[i])
	}
	rp.record(rp.old.Process(pts), rp.new.Process(pts))
	return nil
}

// finish fires the timers due before the end and closes the open gaps.
func (rp *replay) finish() {
	end := rp.o.To.Add(-time.Nanosecond)
	rp.record(rp.old.Advance(end), rp.new.Advance(end))
	rp.gaps.finish(rp.o.To)
}

func (rp *replay) record(old, new []alarms.Transition) {
	rp.rec[0].add(old)
	rp.rec[1].add(new)
}
