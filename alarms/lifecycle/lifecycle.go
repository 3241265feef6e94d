// Package lifecycle is the alarm lifecycle after ISA-18.2 and the alarm
// zones: it sits between the alarm engine's runner and the dispatcher,
// latches intrusion and fire alarms until a person resets them, shelves
// alarms for a time (they un-shelve by themselves on the injected clock),
// takes them out of service, records handling notes and resolutions, and
// keeps the arming state of every perimeter and in-home zone, which gates
// the intrusion rules in the engine. Every transition and every operator
// action — refused ones too — goes to the Journal before it is
// acknowledged to the caller or handed on (篇4·07PART·76, 篇3·二十二·5).
//
// docs/lifecycle.md describes the states and the HTTP API.
package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"facmon/alarms"
	"facmon/internal/site"
)

// Defaults of Options.
const (
	// DefaultMaxShelf is the longest shelf an operator may set.
	DefaultMaxShelf = 8 * time.Hour
	// DefaultMaxNotes bounds the notes of one alarm.
	DefaultMaxNotes = 100
)

// Errors callers tell apart; the HTTP API maps them to status codes.
var (
	// ErrNoAlarm: no alarm with the id is on the board.
	ErrNoAlarm = errors.New("no such alarm")
	// ErrBadRequest: a reason, duration or text is missing or out of range.
	ErrBadRequest = errors.New("bad request")
	// ErrConflict: the alarm or zone is not in a state that allows it.
	ErrConflict = errors.New("not allowed in this state")
	// ErrNoZone: no zone with the id.
	ErrNoZone = errors.New("no such zone")
	// ErrPassword: the password was missing or wrong.
	ErrPassword = errors.New("password refused")
	// ErrJournal: the journal did not record the action; it was not done.
	ErrJournal = errors.New("journal write failed")
)

// Journal records entries durably; Append returns the sequence number of
// the last one once they are fsync'd (*journal.Journal).
type Journal interface {
	Append(ctx context.Context, es ...Entry) (uint64, error)
}

// Options configure a Manager.
type Options struct {
	// Site gives the zones; required.
	Site *site.Site
	// CurrentSite, if set, returns the site file in force now (it changes
	// on reload); the zones follow it, keeping their states by id.
	CurrentSite func() *site.Site
	// Latched says whether the alarms of a rule latch (LatchedRules).
	Latched func(rule string) bool
	// Journal records every transition and action; required.
	Journal Journal
	// Output receives the transitions, in journal order (the dispatcher);
	// required.
	Output alarms.Output
	// Clock dates operator actions and expires shelves; required.
	Clock func() time.Time
	// MaxShelf bounds a shelf (DefaultMaxShelf).
	MaxShelf time.Duration
	// MaxNotes bounds the notes of one alarm (DefaultMaxNotes).
	MaxNotes int
	Logger   *slog.Logger
}

// Manager holds the lifecycle of every alarm on the board and the zones.
// It is an alarms.Output for the engine's runner.
type Manager struct {
	o   Options
	log *slog.Logger

	mu     sync.Mutex
	alarms map[string]*record // by alarm id, every alarm that is not normal
	points map[string]*point  // by rule+device: shelves and out of service

	zones *zoneSet
	seq   uint64 // the journal's seq of the last entry applied
}

// record is one alarm: its latest stamped transition and the engine's own
// hold, which a shelf or out-of-service masks.
type record struct {
	tr         alarms.Transition
	engineHold alarms.Hold
}

// point is what is set on a (rule, device) rather than one occurrence.
type point struct {
	ShelvedUntil time.Time `json:"shelved_until,omitzero"`
	ShelvedBy    string    `json:"shelved_by,omitempty"`
	OutOfService bool      `json:"out_of_service,omitempty"`
}

func (p *point) empty() bool { return p.ShelvedUntil.IsZero() && !p.OutOfService }

var _ alarms.Output = (*Manager)(nil)

// New builds a Manager with every zone armed; Restore brings back the
// journaled state.
func New(o Options) (*Manager, error) {
	if o.Site == nil || o.Journal == nil || o.Output == nil || o.Clock == nil {
		return nil, errors.New("alarm lifecycle: Site, Journal, Output and Clock are required")
	}
	if o.CurrentSite == nil {
		o.CurrentSite = func() *site.Site { return o.Site }
	}
	if o.Latched == nil {
		o.Latched = func(string) bool { return false }
	}
	if o.MaxShelf <= 0 {
		o.MaxShelf = DefaultMaxShelf
	}
	if o.MaxNotes <= 0 {
		o.MaxNotes = DefaultMaxNotes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{o: o, log: o.Logger, alarms: map[string]*record{}, points: map[string]*point{},
		zones: newZoneSet(o.CurrentSite)}, nil
}

// pointKey identifies a (rule, device).
func pointKey(rule, device string) string { return rule + "\x00" + device }

// commit journals es and then hands ts to the output. On a journal error
// nothing is handed on and the error wraps ErrJournal.
func (m *Manager) commit(ctx context.Context, es []Entry, ts []alarms.Transition) error {
	seq, err := m.o.Journal.Append(ctx, es...)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrJournal, err)
	}
	m.seq = seq
	if len(ts) == 0 {
		return nil
	}
	if len(ts) == len(es) {
		// one entry per transition, appended together: numbered in order
		for i := range ts {
			ts[i].Seq = seq - uint64(len(es)-1-i)
		}
	}
	if err := m.o.Output.Transitions(ctx, ts); err != nil {
		m.log.Error("alarm output refused transitions", "count", len(ts), "err", err)
	}
	return nil
}

// transitionEntry is the journal entry of a transition.
func transitionEntry(typ EntryType, t *alarms.Transition) Entry {
	user := t.By
	if user == "" {
		user = "engine"
	}
	b, _ := json.Marshal(t) // a Transition always marshals; NaN is mapped below
	if b == nil {
		c := *t
		c.Value = 0
		b, _ = json.Marshal(&c)
	}
	return Entry{Type: typ, Time: t.Time, User: user, Action: t.Change.String(), Subject: t.ID, Reason: t.Reason, Payload: b}
}
