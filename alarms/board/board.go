// Package board is the alarm API's view of the alarm service
// (alarms/service): the alarms that are active or await acknowledgement,
// kept from the transitions the service hands it, and the history, which
// the service reads from the durable journal. It serves
//
//	GET  /api/v1/alarms              the board, unacknowledged first
//	GET  /api/v1/alarms/history      past transitions, JSON or CSV
//	POST /api/v1/alarms/{id}/ack     acknowledge one alarm
//	POST /api/v1/alarms/ack          acknowledge many ({"ids": [...]})
//
// Acknowledgements go to an Acker (the alarm service); the board changes
// only when the ack transition comes back from the service, so the board,
// the journal and every other output agree.
package board

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"facmon/alarms"
)

// Defaults of Options.
const (
	DefaultHistory   = 10_000 // the journal's default record cap
	DefaultMaxBody   = 64 << 10
	DefaultMaxAckIDs = 1000
)

// ErrNotAckable is what an Acker returns (wrapped or not) when no alarm
// with the id awaits acknowledgement; the API answers 404.
var ErrNotAckable = errors.New("no such alarm awaiting acknowledgement")

// Acker acknowledges alarms; the alarm service implements it. It returns
// ErrNotAckable for an unknown or already acknowledged alarm.
type Acker interface {
	Ack(ctx context.Context, id, user string, at time.Time) error
}

// AckerFunc adapts a function to an Acker.
type AckerFunc func(ctx context.Context, id, user string, at time.Time) error

// Ack calls f.
func (f AckerFunc) Ack(ctx context.Context, id, user string, at time.Time) error {
	return f(ctx, id, user, at)
}

// HistorySource answers history queries: the alarm service, from the
// durable journal. It returns the transitions that match q, newest first,
// at most q.Limit, and whether more matched.
type HistorySource interface {
	History(ctx context.Context, q HistoryQuery) ([]alarms.Transition, bool, error)
}

// Options configure a Board.
type Options struct {
	// History is the largest limit a history request may ask for (default
	// 10,000: every record the journal keeps by default).
	History int
	// Source answers history requests; without one they get 503.
	Source HistorySource
	// Acker takes acknowledgements; without one, ack requests get 503.
	Acker Acker
	// User names the authenticated user of a request, "" if none (then
	// ack requests get 401). The console's auth middleware provides it.
	User func(*http.Request) string
	// Now is the clock that dates acknowledgements (default time.Now).
	Now func() time.Time
	// MaxBody bounds a request body (default 64 KiB); MaxAckIDs the ids of
	// one bulk ack (default 1000).
	MaxBody    int64
	MaxAckIDs  int
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Alarm is one alarm on the board: its latest transition (flattened into
// the JSON) plus what the board knows across transitions.
type Alarm struct {
	alarms.Transition
	// State is the alarm's state now (the latest transition's To).
	State alarms.State `json:"state"`
	// AckedBy and AckedAt say who acknowledged it and when.
	AckedBy string     `json:"acked_by,omitempty"`
	AckedAt *time.Time `json:"acked_at,omitempty"`
	// ClearedAt is when the condition went, for a cleared alarm.
	ClearedAt *time.Time `json:"cleared_at,omitempty"`
	// RaiseValue is the value that raised it.
	RaiseValue float64 `json:"raise_value"`

	seq uint64 // arrival order
}

// Unacked reports whether the alarm awaits acknowledgement.
func (a *Alarm) Unacked() bool {
	return a.State == alarms.ActiveUnacked || a.State == alarms.ClearedUnacked
}

// Board holds the alarms and the history.
type Board struct {
	o      Options
	log    *slog.Logger
	gauges *prometheus.GaugeVec

	mu     sync.RWMutex
	active map[string]*Alarm
	seq    uint64
}

var _ alarms.Output = (*Board)(nil)

// New builds an empty Board.
func New(o Options) *Board {
	if o.History <= 0 {
		o.History = DefaultHistory
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxAckIDs <= 0 {
		o.MaxAckIDs = DefaultMaxAckIDs
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	g := promauto.With(o.Registerer).NewGaugeVec(prometheus.GaugeOpts{Name: "facmon_alarms",
		Help: "Alarms on the board, by state and severity."}, []string{"state", "severity"})
	return &Board{o: o, log: o.Logger, gauges: g, active: make(map[string]*Alarm)}
}

// Transitions applies ts to the board, in order.
func (b *Board) Transitions(_ context.Context, ts []alarms.Transition) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range ts {
		b.seq++
		b.apply(&ts[i])
	}
	b.count()
	return nil
}

// count sets the facmon_alarms gauges from the board.
func (b *Board) count() {
	b.gauges.Reset()
	for _, a := range b.active {
		b.gauges.WithLabelValues(a.State.String(), a.Severity.String()).Inc()
	}
}

// apply moves one alarm. A transition for an alarm the board has not seen
// (the board started after its raise) creates it from the transition.
func (b *Board) apply(t *alarms.Transition) {
	if t.To == alarms.Normal {
		delete(b.active, t.ID)
		return
	}
	a, ok := b.active[t.ID]
	if !ok {
		a = &Alarm{seq: b.seq, RaiseValue: t.Value}
		b.active[t.ID] = a
	}
	a.Transition, a.State = *t, t.To
	switch t.Change {
	case alarms.Ack:
		at := t.Time
		a.AckedBy, a.AckedAt = t.By, &at
	case alarms.Clear:
		at := t.Time
		a.ClearedAt = &at
	case alarms.Raise:
		a.RaiseValue = t.Value
	}
}

// Alarms returns the alarms that match f, in board order.
func (b *Board) Alarms(f ListFilter) []Alarm {
	b.mu.RLock()
	out := make([]Alarm, 0, len(b.active))
	for _, a := range b.active {
		if f.match(&a.Transition) {
			out = append(out, *a)
		}
	}
	b.mu.RUnlock()
	sortBoard(out)
	return out
}

// History returns the transitions that match q, newest first, at most
// q.Limit, and whether more matched, from the Source.
func (b *Board) History(ctx context.Context, q HistoryQuery) ([]alarms.Transition, bool, error) {
	if b.o.Source == nil {
		return nil, false, errNoHistory
	}
	return b.o.Source.History(ctx, q)
}

var errNoHistory = errors.New("alarm history is not available")
