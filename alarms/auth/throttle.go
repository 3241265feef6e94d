package auth

import (
	"container/list"
	"sync"
	"time"
)

// throttle slows password guessing (ASVS 2.2.1). Every password check
// first reserves an attempt on each of its keys (the client address, the
// account), atomically and before bcrypt runs, so parallel guesses cannot
// slip through while earlier ones are still being checked. A key admits
// Free attempts (failed or in flight); after that one attempt at a time,
// each after a wait that doubles from one second up to the key's Max. A
// success clears the keys.
//
// The table is bounded: past cap keys the oldest idle key is evicted —
// one, never all — preferring keys that are not waiting, so spraying new
// names cannot reset a victim's lockout.
type throttle struct {
	mu  sync.Mutex
	cap int
	m   map[string]*failures
	lru list.List // *failures, least recently touched first
}

// limit is how a kind of key is throttled.
type limit struct {
	free int
	max  time.Duration
}

// throttleKey is one key of an attempt with its limit.
type throttleKey struct {
	name string
	limit
}

type failures struct {
	key      string
	n        int // failures since the last success
	inflight int // reserved attempts not yet finished
	until    time.Time
	el       *list.Element
}

// evictScan bounds how far eviction looks for a key that is not waiting.
const evictScan = 64

func newThrottle(capacity int) *throttle {
	return &throttle{cap: capacity, m: map[string]*failures{}}
}

// attempt is a reservation; finish it with fail or ok.
type attempt struct {
	t    *throttle
	keys []throttleKey
}

// reserve takes an attempt on every key at now, or none: wait > 0 says how
// long the most limited key must still wait (an attempt in flight counts
// as a second).
func (t *throttle) reserve(now time.Time, keys ...throttleKey) (*attempt, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		f := t.m[k.name]
		if f == nil {
			continue
		}
		switch {
		case now.Before(f.until):
			wait = max(wait, f.until.Sub(now))
		case f.n+f.inflight >= max(k.free, f.n+1):
			wait = max(wait, time.Second)
		}
	}
	if wait > 0 {
		return nil, wait
	}
	for _, k := range keys {
		t.entryLocked(k.name, now).inflight++
	}
	return &attempt{t: t, keys: keys}, 0
}

// entryLocked finds or makes key's entry and marks it the newest.
func (t *throttle) entryLocked(key string, now time.Time) *failures {
	if f, ok := t.m[key]; ok {
		t.lru.MoveToBack(f.el)
		return f
	}
	if len(t.m) >= t.cap {
		t.evictLocked(now)
	}
	f := &failures{key: key}
	f.el = t.lru.PushBack(f)
	t.m[key] = f
	return f
}

// evictLocked drops the oldest key without an attempt in flight,
// preferring one that is not waiting.
func (t *throttle) evictLocked(now time.Time) {
	var idle *failures
	i := 0
	for e := t.lru.Front(); e != nil && i < evictScan; e, i = e.Next(), i+1 {
		f := e.Value.(*failures)
		if f.inflight > 0 {
			continue
		}
		if !now.Before(f.until) {
			idle = f
			break
		}
		if idle == nil {
			idle = f
		}
	}
	if idle != nil {
		t.lru.Remove(idle.el)
		delete(t.m, idle.key)
	}
}

// fail records the attempt as a failed password.
func (a *attempt) fail(now time.Time) {
	t := a.t
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range a.keys {
		f := t.entryLocked(k.name, now)
		f.inflight = max(f.inflight-1, 0)
		f.n++
		if f.n >= k.free {
			d := time.Second << min(f.n-k.free, 20)
			f.until = now.Add(min(d, k.max))
		}
	}
}

// ok clears the attempt's keys after a right password (attempts still in
// flight on them keep their reservation).
func (a *attempt) ok() {
	t := a.t
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range a.keys {
		f, ok := t.m[k.name]
		if !ok {
			continue
		}
		f.inflight = max(f.inflight-1, 0)
		f.n, f.until = 0, time.Time{}
		if f.inflight == 0 {
			t.lru.Remove(f.el)
			delete(t.m, k.name)
		}
	}
}

// size is the number of keys held.
func (t *throttle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
