package auth

import (
	"sync"
	"time"
)

// throttle slows password guessing (ASVS 2.2.1): after Free failures for
// one key (a user name, a client address) each further attempt must wait,
// doubling from one second up to Max. A success clears the key.
type throttle struct {
	mu   sync.Mutex
	free int
	max  time.Duration
	m    map[string]*failures
}

type failures struct {
	n     int
	until time.Time
}

func newThrottle(free int, max time.Duration) *throttle {
	return &throttle{free: free, max: max, m: map[string]*failures{}}
}

// wait is how long key must still wait at now; 0 means it may try.
func (t *throttle) wait(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.m[key]
	if !ok || !now.Before(f.until) {
		return 0
	}
	return f.until.Sub(now)
}

// fail records a failed attempt.
func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) > 100_000 {
		t.m = map[string]*failures{} // bounded memory under a spray of names
	}
	f, ok := t.m[key]
	if !ok {
		f = &failures{}
		t.m[key] = f
	}
	f.n++
	if f.n <= t.free {
		return
	}
	d := time.Second << min(f.n-t.free-1, 20)
	f.until = now.Add(min(d, t.max))
}

// ok clears key after a success.
func (t *throttle) ok(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}
