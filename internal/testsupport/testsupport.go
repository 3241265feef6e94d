// Package testsupport holds the helpers that facmon's tests share: polling
// for a condition with a generous deadline, a buffer a child process may
// write while the test reads it, a settable clock, a goroutine-safe
// collector of what a sink was handed, and the simulated start time that
// makes tests independent of the hour they run at.
//
// It is imported by _test.go files only. Conditions are polled, never
// assumed after a sleep: a test passes on a loaded machine as long as the
// condition holds within the deadline.
package testsupport

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// PollInterval is how often Eventually re-checks its condition.
const PollInterval = 10 * time.Millisecond

// Eventually polls cond until it holds, or fails the test after within.
// what names the awaited condition; logs (child process output, say) are
// appended to the failure message.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool, logs ...fmt.Stringer) {
	t.Helper()
	if Within(within, cond) {
		return
	}
	var b strings.Builder
	for _, l := range logs {
		if l != nil {
			b.WriteString("\n")
			b.WriteString(l.String())
		}
	}
	t.Fatalf("timed out after %v waiting for %s%s", within, what, b.String())
}

// Within polls cond until it holds (true) or d passes (false), for tests
// that say themselves what went wrong.
func Within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(PollInterval)
	}
	return true
}

// LockedBuffer is a text buffer that a child process or logger may write
// while the test reads it.
type LockedBuffer struct {
	// Limit, when > 0, bounds the buffer (a long-running server's log): past
	// it the older half is dropped.
	Limit int

	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (s *LockedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Limit > 0 && s.b.Len()+len(p) > s.Limit {
		keep := s.b.String()
		keep = keep[len(keep)-min(len(keep), s.Limit/2):]
		s.b.Reset()
		s.b.WriteString(keep)
	}
	return s.b.Write(p)
}

// Last is the newest n bytes of the buffer as they are when printed: a
// log's tail for a failure message (Eventually's logs).
func (s *LockedBuffer) Last(n int) fmt.Stringer { return lastOf{s, n} }

type lastOf struct {
	s *LockedBuffer
	n int
}

func (l lastOf) String() string {
	v := l.s.String()
	return v[len(v)-min(len(v), l.n):]
}

// String is everything written so far.
func (s *LockedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Clock is a clock the test sets by hand.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Collected keeps, in order, everything handed to a test sink; embed it in
// a sink type and call Add from the sink's method.
type Collected[T any] struct {
	mu    sync.Mutex
	items []T
}

// Add appends items.
func (c *Collected[T]) Add(items ...T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items = append(c.items, items...)
}

// All is a copy of everything added so far.
func (c *Collected[T]) All() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]T(nil), c.items...)
}

// Reset forgets everything added.
func (c *Collected[T]) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items = nil
}
