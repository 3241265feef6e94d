package mqtt

import (
	"log/slog"
	"sync"
	"time"
)

// maxLogKeys bounds the limiter's memory when a flood of distinct topics
// arrives.
const maxLogKeys = 1024

// logLimiter logs at most one line per key per interval and says how many
// it suppressed in between, so a device flooding bad payloads cannot flood
// the log.
type logLimiter struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time
	mu    sync.Mutex
	keys  map[string]*logKey
}

type logKey struct {
	last       time.Time
	suppressed int
}

func newLogLimiter(log *slog.Logger, every time.Duration, now func() time.Time) *logLimiter {
	return &logLimiter{log: log, every: every, now: now, keys: make(map[string]*logKey)}
}

// warn logs msg with err under key, unless key logged within the interval.
func (l *logLimiter) warn(key, msg string, err error) {
	l.mu.Lock()
	now := l.now()
	k, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= maxLogKeys {
			clear(l.keys)
		}
		k = &logKey{}
		l.keys[key] = k
	}
	if ok && now.Sub(k.last) < l.every {
		k.suppressed++
		l.mu.Unlock()
		return
	}
	n := k.suppressed
	k.last, k.suppressed = now, 0
	l.mu.Unlock()
	l.log.Warn(msg, "err", err, "suppressed", n)
}
