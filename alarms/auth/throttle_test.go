package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// guess posts one login from addr and returns the status.
func (f *fixture) guess(addr, user, pw string) int {
	r := req("POST", "/api/v1/session/login", `{"user":"`+user+`","password":"`+pw+`"}`)
	r.RemoteAddr = addr
	return f.do(r).Code
}

// parallel runs n guesses at once and counts the answers by status.
func parallel(n int, guess func(i int) int) map[int]int {
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			c := guess(i)
			mu.Lock()
			codes[c]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return codes
}

// TestParallelGuessesAreThrottled is issue 12's parallel-guess test: 100
// guesses at once from one address, then 100 at once from 100 addresses
// against one account. Only the allowed number reach bcrypt (answered 401,
// "wrong password"), the rest are refused before it with 429, and another
// operator at another address still logs in.
func TestParallelGuessesAreThrottled(t *testing.T) {
	t.Run("one address", func(t *testing.T) {
		f := newFixture(t)
		codes := parallel(100, func(int) int { return f.guess("198.51.100.7:5000", "op", "wrong-guess") })
		t.Logf("100 parallel guesses from one address: %v", codes)
		if codes[401] > addressLimit.free || codes[401]+codes[429] != 100 {
			t.Fatalf("answers %v: at most %d may reach bcrypt, the rest 429", codes, addressLimit.free)
		}
		if got := f.guess("198.51.100.7:5000", "op", "op-password"); got != 429 {
			t.Fatalf("right password from the guessing address: %d, want 429", got)
		}
		if got := f.guess("192.0.2.10:4000", "eng", "eng-password"); got != 200 {
			t.Fatalf("another operator at another address: %d", got)
		}
	})
	t.Run("many addresses one account", func(t *testing.T) {
		f := newFixture(t)
		codes := parallel(100, func(i int) int {
			return f.guess(fmt.Sprintf("203.0.113.%d:5000", i+1), "op", "wrong-guess")
		})
		t.Logf("100 parallel guesses from 100 addresses: %v", codes)
		if codes[401] > accountLimit.free || codes[401]+codes[429] != 100 {
			t.Fatalf("answers %v: at most %d may reach bcrypt, the rest 429", codes, accountLimit.free)
		}
		if got := f.guess("192.0.2.10:4000", "eng", "eng-password"); got != 200 {
			t.Fatalf("another operator at another address: %d", got)
		}
		f.clock.Add(accountLimit.max)
		if got := f.guess("192.0.2.11:4000", "op", "op-password"); got != 200 {
			t.Fatalf("the account after its wait: %d", got)
		}
	})
}

// TestBasicAndDisarmPasswordsAreThrottled: Basic credentials and the
// password asked again before a disarm or bypass take the same
// reservations.
func TestBasicAndDisarmPasswordsAreThrottled(t *testing.T) {
	f := newFixture(t)
	codes := parallel(60, func(i int) int {
		r := req("GET", "/api/v1/alarms", "")
		r.RemoteAddr = fmt.Sprintf("203.0.113.%d:5000", i+1)
		r.SetBasicAuth("op", "wrong-guess")
		return f.do(r).Code
	})
	if codes[401] > accountLimit.free || codes[401]+codes[429] != 60 {
		t.Fatalf("Basic answers %v", codes)
	}
	f2 := newFixture(t)
	var mu sync.Mutex
	checked := 0
	parallel(60, func(int) int {
		if _, err := f2.guard.checkPassword("op", "wrong-guess"); err != nil {
			if _, throttled := err.(*throttledError); !throttled {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		}
		return 0
	})
	if checked > accountLimit.free {
		t.Fatalf("%d disarm passwords reached bcrypt, at most %d may", checked, accountLimit.free)
	}
	if f2.guard.CheckPassword("op", "op-password") {
		t.Fatal("right disarm password accepted while the account waits")
	}
}

// TestThrottleTableEvictsTheOldest: past its cap the table drops the
// oldest key that is not waiting — one, never all — so spraying names
// does not reset a victim's lockout.
func TestThrottleTableEvictsTheOldest(t *testing.T) {
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	th := newThrottle(50)
	victim := throttleKey{"account:op", accountLimit}
	for range accountLimit.free {
		a, _ := th.reserve(now, victim)
		a.fail(now)
	}
	for i := range 1000 {
		a, wait := th.reserve(now, throttleKey{fmt.Sprintf("account:spray-%d", i), accountLimit})
		if a == nil {
			t.Fatalf("spray %d refused (%v)", i, wait)
		}
		a.fail(now)
		if n := th.size(); n > 50 {
			t.Fatalf("table holds %d keys, cap 50", n)
		}
	}
	if th.size() < 49 {
		t.Fatalf("table emptied to %d keys: it must evict one at a time", th.size())
	}
	if a, wait := th.reserve(now, victim); a != nil || wait <= 0 {
		t.Fatal("the victim's lockout was reset by a spray of names")
	}
}
