package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facmon/alarms"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// TestHeartbeatAndRefresh steps a simulated clock: the heartbeat goes out
// every interval, active alerts are posted again to Alertmanager every
// resend, and a cleared alarm leaves the refresh.
func TestHeartbeatAndRefresh(t *testing.T) {
	c := testsupport.NewClock(t0)
	n := amSite("http://127.0.0.1:1")
	n.Heartbeat = site.Heartbeat{Interval: site.Duration(30 * time.Second), Receivers: []string{"am"}}
	s := newService(t, n, t.TempDir(), c.Now)
	defer s.ob.Close()
	s.startTimers(t0)
	r := raise("fire", "panel", alarms.Critical, t0)
	s.Transitions(context.Background(), []alarms.Transition{r})
	steps := []struct {
		at   time.Duration
		tr   []alarms.Transition
		want string
	}{
		{0, nil, "heartbeat am - L0 ×1"},
		{29 * time.Second, nil, ""},
		{30 * time.Second, nil, "heartbeat am - L0 ×1"},
		{60 * time.Second, nil, "refresh am - L0 ×1; heartbeat am - L0 ×1"},
		{70 * time.Second, []alarms.Transition{clearOf(r, t0.Add(70*time.Second))}, "resolved am - L0 ×1"},
		{120 * time.Second, nil, "heartbeat am - L0 ×1"}, // no refresh: nothing active
	}
	seen := 1 // the firing
	for _, st := range steps {
		c.Set(t0.Add(st.at))
		if st.tr != nil {
			s.Transitions(context.Background(), st.tr)
		}
		s.Tick(c.Now())
		all := pendingSummary(t, s)
		if got := strings.Join(all[seen:], "; "); got != st.want {
			t.Errorf("at %s: got %q, want %q", st.at, got, st.want)
		}
		seen = len(all)
	}
	var m Message
	jsonUnmarshal(s.ob.Pending()[1].Body, &m)
	if m.Alerts[0].Rule != WatchdogAlert || m.Expires.IsZero() {
		t.Errorf("heartbeat %+v", m)
	}
}

// TestDeadReceiverDelaysNoOther: one receiver down, the other still gets
// its message at once.
func TestDeadReceiverDelaysNoOther(t *testing.T) {
	live, dead := newSink(t), newSink(t)
	dead.Stop()
	n := testSite(map[string]string{"control-room": dead.URL(), "phone-hook": live.URL()})
	n.FloodHold = 0
	s := newService(t, n, t.TempDir(), time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for i := range 5 {
		s.Transitions(ctx, []alarms.Transition{raise("fire", "panel-"+string(rune('a'+i)), alarms.Critical, time.Now())})
	}
	testsupport.Eventually(t, 5*time.Second, "the live receiver", func() bool { return len(live.requests()) == 5 })
	// A delivered message leaves the outbox just after its answer arrives.
	testsupport.Eventually(t, 5*time.Second, "only the dead receiver's 5 pending", func() bool { return s.ob.Len() == 5 })
}

// TestResume: alarms active at start clear with a recovery notice and
// escalate from a fresh deadline.
func TestResume(t *testing.T) {
	c := testsupport.NewClock(t0)
	n := testSite(map[string]string{"control-room": "http://127.0.0.1:1", "phone-hook": "http://127.0.0.1:1"})
	s := newService(t, n, t.TempDir(), c.Now)
	defer s.ob.Close()
	r := raise("fire", "panel", alarms.Critical, t0.Add(-time.Hour))
	s.Resume([]alarms.Transition{r})
	s.Tick(t0.Add(2 * time.Minute))
	s.Transitions(context.Background(), []alarms.Transition{clearOf(r, t0.Add(3*time.Minute))})
	want := "escalation phone-hook supervisor L2 ×1; resolved control-room - L0 ×1; resolved phone-hook operator L0 ×1; resolved phone-hook supervisor L0 ×1"
	if got := strings.Join(pendingSummary(t, s), "; "); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// TestSetup builds the whole notifier from a site file and acknowledges
// through a link in a sent message.
func TestSetup(t *testing.T) {
	hook := newSink(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ack.key"), []byte("0123456789abcdef0123456789abcdef"), 0o600)
	cfg := filepath.Join(dir, "site.yaml")
	os.WriteFile(cfg, []byte(`site: demo
notify:
  public_url: https://facmon.example
  ack_secret_file: ack.key
  flood_hold: 0s
  receivers: [{name: phones, type: webhook, url: `+hook.URL()+`}]
  people: [{id: zhang, receivers: [phones]}]
  shifts: [{levels: [[zhang]]}]
  routes: [{duty: true}]
`), 0o600)
	st, err := site.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var acked []string
	su, err := NewSetup(SetupOptions{Site: st, DataDir: dir, Acker: ackFunc(func(id, user string) { acked = append(acked, id+" "+user) })})
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { su.Service.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	r := raise("fire", "panel", alarms.Critical, time.Now())
	su.Service.Transitions(ctx, []alarms.Transition{r})
	testsupport.Eventually(t, 5*time.Second, "the message", func() bool { return len(hook.requests()) == 1 })
	m := hook.messages(t)[0]
	if !strings.HasPrefix(m.AckURL, "https://facmon.example/ack/") {
		t.Fatalf("ack url %q", m.AckURL)
	}
	srv := httptest.NewServer(su.AckHandler)
	defer srv.Close()
	resp, err := http.Post(srv.URL+strings.TrimPrefix(m.AckURL, "https://facmon.example"), "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("ack: %v %v", resp, err)
	}
	if len(acked) != 1 || acked[0] != r.ID+" zhang" {
		t.Fatalf("acked %q", acked)
	}
}

// ackFunc adapts a function to acklink.Acker.
type ackFunc func(id, user string)

func (f ackFunc) Ack(_ context.Context, id, user string, _ time.Time) error {
	f(id, user)
	return nil
}

func TestBackoffAndLimiter(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 8 * time.Second}
	for _, tc := range []struct {
		n        int
		min, max time.Duration
	}{{1, 500 * time.Millisecond, time.Second}, {2, time.Second, 2 * time.Second}, {4, 4 * time.Second, 8 * time.Second}, {10, 4 * time.Second, 8 * time.Second}} {
		for range 50 {
			if d := b.wait(tc.n); d < tc.min || d > tc.max {
				t.Fatalf("wait(%d) = %s, want within [%s, %s]", tc.n, d, tc.min, tc.max)
			}
		}
	}
	c := testsupport.NewClock(t0)
	l := newLimiter(60, c.Now) // one a second, burst 15
	for i := range 15 {
		if d := l.take(); d != 0 {
			t.Fatalf("burst token %d: wait %s", i, d)
		}
	}
	if d := l.take(); d != time.Second {
		t.Fatalf("after the burst: wait %s, want 1s", d)
	}
	c.Set(t0.Add(time.Second))
	if d := l.take(); d != 0 {
		t.Fatalf("a second later: wait %s", d)
	}
}

// TestMaintenanceHold: a held alarm is not notified, raise or clear; an
// alarm notified before its device went into maintenance still clears.
func TestMaintenanceHold(t *testing.T) {
	c := testsupport.NewClock(t0)
	n := testSite(map[string]string{"control-room": "http://127.0.0.1:1", "phone-hook": "http://127.0.0.1:1"})
	n.FloodHold = 0
	n.Routes = []site.Route{{Receivers: []string{"control-room"}}}
	s := newService(t, n, t.TempDir(), c.Now)
	defer s.ob.Close()
	held := raise("lift-fault", "lift-1", alarms.Major, t0)
	held.Hold = alarms.Maintenance
	heldClear := clearOf(held, t0.Add(time.Minute))
	before := raise("lift-fault", "lift-2", alarms.Major, t0)
	beforeClear := clearOf(before, t0.Add(time.Minute))
	beforeClear.Hold = alarms.Maintenance
	s.Transitions(context.Background(), []alarms.Transition{held, before, heldClear, beforeClear})
	want := "firing control-room - L0 ×1; resolved control-room - L0 ×1"
	if got := strings.Join(pendingSummary(t, s), "; "); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
