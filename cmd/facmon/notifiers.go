package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"facmon/alarms"
	alarmdispatch "facmon/alarms/dispatch"
	"facmon/alarms/notify"
)

func init() { alarmOutputs = append(alarmOutputs, notifyTarget) }

// notifiers is the notification service (Alertmanager, webhooks, WeCom,
// DingTalk, SMS, escalation, outbox) behind a switch, so that a reload can
// replace it with one built from the new site while the dispatcher keeps
// the same target.
type notifiers struct {
	svc *service

	mu     sync.Mutex
	cur    *notify.Setup
	cancel context.CancelFunc
	done   chan struct{}
}

// notifyTarget adds the notifiers to the alarm dispatcher.
func notifyTarget(svc *service) (alarmdispatch.Target, error) {
	n := &notifiers{svc: svc}
	svc.notify = n
	return alarmdispatch.Target{Name: "notify", Output: n}, nil
}

// Transitions hands a batch to the current notification service.
func (n *notifiers) Transitions(ctx context.Context, ts []alarms.Transition) error {
	n.mu.Lock()
	cur := n.cur
	n.mu.Unlock()
	if cur == nil {
		return nil
	}
	return cur.Service.Transitions(ctx, ts)
}

// start builds the service for the current site, resumes the alarms the
// engine restored (their escalation and clear notices), and runs it until
// ctx ends or restart replaces it.
func (n *notifiers) start(ctx context.Context) error {
	svc := n.svc
	reg := prometheus.NewRegistry() // swapped in whole: a restart never registers twice
	st, err := notify.NewSetup(notify.SetupOptions{
		Site: svc.currentSite(), DataDir: svc.flags.dataDir,
		Acker: ackerFunc(func(ctx context.Context, id, user string, at time.Time) error {
			return svc.alarms.ack(ctx, id, user, at)
		}),
		Logger:     svc.log.With("part", "notify"),
		Registerer: reg,
	})
	if err != nil {
		return fmt.Errorf("notifiers: %w", err)
	}
	svc.notifyMetrics.set(reg)
	st.Service.Resume(svc.alarms.life.Board())
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	n.mu.Lock()
	n.cur, n.cancel, n.done = st, cancel, done
	n.mu.Unlock()
	go func() {
		defer close(done)
		if err := st.Service.Run(rctx); err != nil && ctxErr(err) == nil {
			svc.log.Error("notifiers stopped", "err", err)
		}
		st.Close()
	}()
	return nil
}

// stop ends the current service and waits for it to close its outbox.
func (n *notifiers) stop() {
	n.mu.Lock()
	cancel, done := n.cancel, n.done
	n.cur, n.cancel, n.done = nil, nil, nil
	n.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// ServeHTTP serves /ack/ with whichever service is current.
func (n *notifiers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	cur := n.cur
	n.mu.Unlock()
	if cur == nil || cur.AckHandler == nil {
		http.NotFound(w, r)
		return
	}
	cur.AckHandler.ServeHTTP(w, r)
}

// ackerFunc adapts a function to acklink.Acker.
type ackerFunc func(ctx context.Context, id, user string, at time.Time) error

// Ack calls f.
func (f ackerFunc) Ack(ctx context.Context, id, user string, at time.Time) error {
	return f(ctx, id, user, at)
}
