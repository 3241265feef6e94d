package rulestest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"facmon/collectors"
	"facmon/internal/site"
)

// timeline turns a test's series, acks and checks into events in time
// order, reporting unknown devices and bad notation.
func timeline(tc *testCase, s *site.Site, start time.Time, interval time.Duration) ([]event, []string) {
	var evs []event
	var problems []string
	for i := range tc.Series {
		pts, err := seriesPoints(&tc.Series[i], s, start, interval)
		if err != nil {
			problems = append(problems, fmt.Sprintf("input_series[%d]: %v", i, err))
		}
		for _, p := range pts {
			evs = append(evs, event{at: p.Time, point: p})
		}
	}
	for i := range tc.Acks {
		a := &tc.Acks[i]
		evs = append(evs, event{at: start.Add(time.Duration(a.At)), order: 1, ack: a})
	}
	for i := range tc.Expect {
		x := &tc.Expect[i]
		evs = append(evs, event{at: start.Add(time.Duration(x.At)), order: 2, eval: x})
	}
	for i := range evs {
		evs[i].seq = i
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.order, b.order), cmp.Compare(a.seq, b.seq))
	})
	return evs, problems
}

// seriesPoints expands one series into points.
func seriesPoints(sr *series, s *site.Site, start time.Time, interval time.Duration) ([]collectors.Point, error) {
	d := findDevice(s, sr.Device)
	if d == nil {
		return nil, fmt.Errorf("device %q unknown", sr.Device)
	}
	steps, err := ParseSeries(sr.Values)
	if err != nil {
		return nil, fmt.Errorf("device %q signal %q: values: %w", sr.Device, sr.Signal, err)
	}
	var pts []collectors.Point
	for i, st := range steps {
		if st.Kind != Missing {
			pts = append(pts, makePoint(s, d, sr.Signal, st, start.Add(time.Duration(i)*interval)))
		}
	}
	for _, sm := range sr.Samples {
		st, err := sampleStep(sm)
		if err != nil {
			return nil, fmt.Errorf("device %q signal %q: sample at %s: %w", sr.Device, sr.Signal, time.Duration(sm.At), err)
		}
		pts = append(pts, makePoint(s, d, sr.Signal, st, start.Add(time.Duration(sm.At))))
	}
	return pts, nil
}

// sampleStep reads an explicit sample.
func sampleStep(sm sample) (Step, error) {
	tok := sm.Value
	if sm.Status != "" {
		tok = sm.Status
	}
	steps, err := parseToken(tok)
	if err != nil || len(steps) != 1 {
		return Step{}, fmt.Errorf("value %s: want one number, true/false or a status", strconv.Quote(tok))
	}
	return steps[0], nil
}

// makePoint builds the point a collector would publish.
func makePoint(s *site.Site, d *site.Device, signal string, st Step, t time.Time) collectors.Point {
	p := collectors.Point{Site: s.ID, Area: d.Area, Kind: d.Kind, Device: d.ID, Signal: signal,
		Value: st.Value, Bool: st.Bool, Time: t}
	if st.Kind == Status {
		p.Signal, p.Value, p.Bool = collectors.StatusSignal, float64(st.Status), false
		if st.Status != collectors.Online {
			p.Quality = collectors.Bad
		}
	}
	return p
}

// findDevice returns the site's device id, or nil.
func findDevice(s *site.Site, id string) *site.Device {
	for i := range s.Devices {
		if s.Devices[i].ID == id {
			return &s.Devices[i]
		}
	}
	return nil
}
