package testsupport

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// failRecorder is a testing.TB whose Fatalf ends the goroutine and is noted.
type failRecorder struct {
	testing.TB
	msg string
}

func (f *failRecorder) Helper() {}
func (f *failRecorder) Fatalf(format string, args ...any) {
	f.msg = strings.TrimSpace(strings.ReplaceAll(format, "%", "")) // shape is enough
	panic(f)
}

func TestEventually(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		Eventually(t, time.Minute, "five seconds", func() bool { return time.Since(start) >= 5*time.Second })
		if d := time.Since(start); d < 5*time.Second || d > 5*time.Second+PollInterval {
			t.Errorf("returned after %v", d)
		}
		var log LockedBuffer
		log.Write([]byte("child said hello"))
		f := &failRecorder{TB: t}
		func() {
			defer func() {
				if r := recover(); r != f {
					t.Errorf("Eventually did not fail the test (%v)", r)
				}
			}()
			Eventually(f, time.Second, "never", func() bool { return false }, &log)
		}()
		if time.Since(start) < 6*time.Second {
			t.Errorf("gave up before its deadline")
		}
	})
}

func TestClockAndCollected(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	c.Add(time.Minute)
	if !c.Now().Equal(t0.Add(time.Minute)) {
		t.Errorf("Now = %v", c.Now())
	}
	var got Collected[int]
	got.Add(1, 2)
	got.Add(3)
	if a := got.All(); len(a) != 3 || a[2] != 3 {
		t.Errorf("All = %v", a)
	}
	got.Reset()
	if len(got.All()) != 0 {
		t.Error("Reset kept items")
	}
}

func TestSimStart(t *testing.T) {
	t.Setenv(StartEnv, "23:30")
	sh, _ := time.LoadLocation("Asia/Shanghai")
	if s := SimStart(t, sh); s.Hour() != 23 || s.Minute() != 30 || s.Location() != sh {
		t.Errorf("SimStart = %v", s)
	}
}

// TestMemNet: refused until Listen, an HTTP round trip inside a bubble,
// refused again once the listener closes.
func TestMemNet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mem MemNet
		tr := &http.Transport{DialContext: mem.DialContext}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		if _, err := client.Get("http://hook.invalid/"); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("before Listen: %v", err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })}
		ln := mem.Listen()
		go srv.Serve(ln)
		resp, err := client.Get("http://hook.invalid/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ok" {
			t.Errorf("body %q", b)
		}
		srv.Shutdown(context.Background())
		tr.CloseIdleConnections()
		if _, err := client.Get("http://hook.invalid/"); err == nil {
			t.Error("served after the listener closed")
		}
	})
}

func TestLockedBufferLimitAndLast(t *testing.T) {
	b := &LockedBuffer{Limit: 10}
	b.Write([]byte("0123456789"))
	b.Write([]byte("abc"))
	if got := b.String(); got != "56789abc" {
		t.Errorf("after the limit: %q", got)
	}
	if got := b.Last(4).String(); got != "9abc" {
		t.Errorf("Last(4) = %q", got)
	}
	if got := b.Last(100).String(); got != "56789abc" {
		t.Errorf("Last(100) = %q", got)
	}
}
