package uplink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"facmon/alarms/command"
	"facmon/alarms/journal"
)

// ErrReplayed: the command's nonce was used before.
var ErrReplayed = errors.New("replayed command: nonce already used")

// commandRecord is the journal payload of a centre command.
type commandRecord struct {
	Nonce string    `json:"nonce"`
	Time  time.Time `json:"time"`
}

// handle verifies a command and applies or refuses it. An accepted
// command's nonce is journaled before the ack is applied, so a replay
// after a crash or restart is still caught.
func (u *Uplink) handle(ctx context.Context, msg []byte) {
	now := u.o.Clock()
	a, err := command.Verify(msg, u.key, u.s.ID, now, u.window)
	if err == nil && u.seen.has(a.Nonce) {
		err = ErrReplayed
	}
	if err != nil {
		u.refuse(ctx, a, err)
		return
	}
	user := "centre:" + a.User
	rec, err := journal.NewRecord(journal.TypeAction, user, ActionCentreAck, a.Alarm, "", commandRecord{a.Nonce, a.Time})
	if err == nil {
		err = u.o.Alarms.Record(ctx, rec)
	}
	if err != nil {
		u.log.Error("centre command not journaled: not applied", "alarm", a.Alarm, "user", user, "err", err)
		u.commands.WithLabelValues("failed").Inc()
		return
	}
	u.seen.add(a.Nonce, now)
	if err := u.o.Alarms.Ack(ctx, a.Alarm, user, now); err != nil {
		u.refuse(ctx, a, fmt.Errorf("not applied: %w", err))
		return
	}
	u.commands.WithLabelValues("applied").Inc()
	u.log.Info("centre acknowledgement applied", "alarm", a.Alarm, "user", user)
}

// refuse journals a refused command with the reason.
func (u *Uplink) refuse(ctx context.Context, a command.Ack, why error) {
	u.commands.WithLabelValues("refused").Inc()
	user := "centre"
	if a.User != "" {
		user = "centre:" + a.User
	}
	u.log.Warn("centre command refused", "alarm", a.Alarm, "user", user, "reason", why.Error())
	rec, err := journal.NewRecord(journal.TypeRefusedAction, user, ActionCentreAck, a.Alarm, why.Error(), commandRecord{a.Nonce, a.Time})
	if err == nil {
		err = u.o.Alarms.Record(ctx, rec)
	}
	if err != nil {
		u.log.Error("refused centre command not journaled", "err", err)
	}
}

// nonces are the nonces of accepted commands within twice the window;
// older ones are refused by their time anyway.
type nonces struct {
	mu   sync.Mutex
	keep time.Duration
	at   map[string]time.Time
}

// restoreNonces reads the accepted commands of the last keep from the
// journal.
func restoreNonces(j Journal, now time.Time, keep time.Duration) (*nonces, error) {
	n := &nonces{keep: keep, at: map[string]time.Time{}}
	recs, err := j.Range(now.Add(-keep), time.Time{}, journal.Filter{Types: []journal.Type{journal.TypeAction},
		Action: ActionCentreAck, Limit: 1 << 20})
	if err != nil {
		return nil, fmt.Errorf("centre uplink: nonces from the journal: %w", err)
	}
	for _, r := range recs {
		var c commandRecord
		if json.Unmarshal(r.Payload, &c) == nil && c.Nonce != "" {
			n.at[c.Nonce] = r.Time
		}
	}
	return n, nil
}

func (n *nonces) has(nonce string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.at[nonce]
	return ok
}

func (n *nonces) add(nonce string, now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, t := range n.at {
		if now.Sub(t) > n.keep {
			delete(n.at, k)
		}
	}
	n.at[nonce] = now
}
