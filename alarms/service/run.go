package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"facmon/alarms/engine"
	"facmon/internal/durable"
)

// Run runs the service until ctx ends: the runner, the dispatcher, the
// event stream, shelf expiry, the KPIs and the saving of the engine's
// timers. At the end the dispatcher drains into the outputs, then the
// site-dependent outputs stop, the engine's timers are saved and the
// journal is closed, once nothing writes it any more.
func (s *Service) Run(ctx context.Context) error {
	var parts sync.WaitGroup
	parts.Go(func() { s.logExit("alarm runner", s.runner.Run(ctx)) })
	parts.Go(func() { s.logExit("alarm dispatch", s.disp.Run(ctx)) })
	parts.Go(func() { s.logExit("event stream", s.hub.Run(ctx)) })
	parts.Go(func() { s.logExit("alarm lifecycle", s.life.Run(ctx, time.Second)) })
	parts.Go(func() { s.logExit("alarm KPIs", s.kpi.Run(ctx, time.Minute)) })
	parts.Go(func() { s.saveLoop(ctx) })
	parts.Go(func() { s.witnessLoop(ctx) })
	parts.Wait()
	s.updates.Lock()
	s.mu.Lock()
	g := s.cur
	s.cur = nil
	s.mu.Unlock()
	g.stop()
	s.stopBase()
	s.updates.Unlock()
	return s.journal.Close()
}

// logExit logs a part's unexpected end.
func (s *Service) logExit(part string, err error) {
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		s.log.Error("stopped with an error", "part", part, "err", err)
	}
}

// saveLoop saves the engine's state (pending on-delays, the generator
// run-on, what it knows of each condition) after each batch of
// transitions, every SaveEvery for the timers, and once more at the end,
// so they survive a restart; the alarms themselves come back from the
// journal, which wins where the two disagree (engine.Adopt).
func (s *Service) saveLoop(ctx context.Context) {
	t := time.NewTicker(s.o.SaveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.logErr("engine state", s.saveEngine())
			return
		case <-t.C:
			s.logErr("engine state", s.saveEngine())
		case <-s.changed:
			s.logErr("engine state", s.saveEngine())
		}
	}
}

func (s *Service) logErr(what string, err error) {
	if err != nil {
		s.log.Error(what+" not saved", "file", s.state, "err", err)
	}
}

func (s *Service) saveEngine() error {
	b, err := json.Marshal(s.engine.Snapshot())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.state), 0o750); err != nil {
		return err
	}
	return durable.WriteFile(s.state, b)
}

// restoreEngine loads the engine's timers, if saved.
func (s *Service) restoreEngine() {
	n, err := s.loadEngine()
	switch {
	case err != nil:
		s.log.Warn("engine state not restored", "file", s.state, "err", err)
	case n > 0:
		s.log.Info("engine state restored", "alarms", n)
	}
}

func (s *Service) loadEngine() (int, error) {
	b, err := os.ReadFile(s.state)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var snap engine.Snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return 0, fmt.Errorf("%s: %w", s.state, err)
	}
	return s.engine.Restore(snap), nil
}
