package engine

import (
	"fmt"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/collectors"
)

// step is one point (or, with signal "", only a clock advance) and the
// state expected afterwards of the case's rule on want's device.
type step struct {
	at     time.Duration
	dev    string
	signal string
	v      float64
	want   alarms.State
	hold   alarms.Hold
}

const (
	nrm = alarms.Normal
	act = alarms.ActiveUnacked
	clr = alarms.ClearedUnacked
)

func TestKinds(t *testing.T) {
	cases := []struct {
		name, rule string
		device     string
		steps      []step
	}{
		{"state changes_to needs a change", `state: {changes_to: 1}
    signal: faults`, "tank-1", []step{
			{0, "tank-1", "faults", 1, nrm, 0}, {1, "tank-1", "faults", 0, nrm, 0},
			{2, "tank-1", "faults", 1, act, 0}, {3, "tank-1", "faults", 0, clr, 0}}},
		{"line fault bits", `supervision: {line_fault: {signal: faults, bits: {open: 0, short: 1}}}`, "tank-1", []step{
			{0, "tank-1", "faults", 4, nrm, 0}, {1, "tank-1", "faults", 2, act, 0},
			{2, "tank-1", "faults", -1, act, 0}, {3, "tank-1", "faults", 0, clr, 0}}},
		{"offline status", `supervision: {offline: true}`, "tank-1", []step{
			{0, "tank-1", collectors.StatusSignal, 0, nrm, 0}, {1, "tank-1", collectors.StatusSignal, 2, act, 0},
			{2, "tank-1", collectors.StatusSignal, 0, clr, 0}}},
		{"silence", `supervision: {no_data_for: 10s}`, "tank-1", []step{
			{0, "tank-1", "level", 1, nrm, 0}, {9, "", "", 0, nrm, 0}, {10, "", "", 0, act, 0},
			{11, "tank-1", "level", 1, clr, 0}}},
		{"deadline", `deadline: {above: 5, within: 10s}
    signal: level`, "tank-1", []step{
			{0, "tank-1", "level", 6, nrm, 0}, {9, "", "", 0, nrm, 0}, {10, "", "", 0, act, 0},
			{11, "tank-1", "level", 5, clr, 0}}},
		{"consumption below needs a whole window", `consumption: {window: 10s, below: 1}
    signal: volume`, "tank-1", []step{
			{0, "tank-1", "volume", 0, nrm, 0}, {5, "tank-1", "volume", 0.1, nrm, 0},
			{10, "tank-1", "volume", 0.2, act, 0}, {15, "tank-1", "volume", 5, clr, 0}}},
		{"consumption counter reset", `consumption: {window: 10s, above: 1}
    signal: volume`, "tank-1", []step{
			{0, "tank-1", "volume", 10, nrm, 0}, {5, "tank-1", "volume", 0.5, nrm, 0},
			{6, "tank-1", "volume", 1.6, act, 0}}},
		{"group raises only when all are low", `threshold: {below: 1}
    signal: level`, "tank-1+tank-2", []step{
			{0, "tank-1", "level", 0.5, nrm, 0}, {1, "tank-2", "level", 0.5, act, 0},
			{2, "tank-1", "level", 2, clr, 0}}},
		{"schedule", `threshold: {below: 1}
    signal: level
    schedule: [{from: "12:00", to: "12:01"}]`, "tank-1", []step{
			{0, "tank-1", "level", 0.5, act, 0}, {61, "tank-1", "level", 0.5, clr, 0}}},
		{"maintenance marks the raise", `threshold: {below: 1}
    signal: level
maintenance:
  - {name: m, cite: x, select: {device: tank-1}, from: "12:00", to: "12:01"}`, "tank-1", []step{
			{0, "tank-1", "level", 0.5, act, alarms.Maintenance}, {1, "tank-1", "level", 2, clr, alarms.Maintenance},
			{61, "tank-1", "level", 0.5, act, 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel := "{device: tank-1}"
			if c.device == "tank-1+tank-2" {
				sel = "{kind: water_tank, all: true}"
			}
			e := New(Options{Rules: ruleSet(t, fmt.Sprintf("rules:\n  - name: r\n    severity: minor\n    cite: x\n    select: %s\n    %s\n", sel, c.rule))})
			for i, s := range c.steps {
				at := t0.Add(s.at * time.Second)
				if s.signal != "" {
					e.Process([]collectors.Point{{Device: s.dev, Signal: s.signal, Value: s.v, Time: at}})
				}
				e.Advance(at)
				got, hold := alarms.Normal, alarms.NotHeld
				for _, a := range e.Alarms() {
					if a.Device == c.device {
						got, hold = a.State, a.Hold
					}
				}
				if got != s.want || hold != s.hold {
					t.Fatalf("step %d (t=%ds %s=%v): %s %q, want %s %q", i, s.at, s.signal, s.v, got, hold, s.want, s.hold)
				}
			}
		})
	}
}
