package notify

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"facmon/alarms"
	"facmon/alarms/notify/acklink"
	"facmon/alarms/notify/outbox"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // a Monday

// testSite is a notify section: a control-room hook for everything, the
// duty chain (operator, supervisor, manager) for critical alarms.
func testSite(urls map[string]string) *site.Notify {
	n := &site.Notify{
		PublicURL: "https://facmon.example", FloodHold: site.Duration(50 * time.Millisecond), FloodWindow: site.Duration(2 * time.Second),
		Escalation: site.Escalation{Critical: site.Duration(2 * time.Minute), Major: site.Duration(10 * time.Minute)},
		People: []site.Person{
			{ID: "operator", Phone: "1", Receivers: []string{"phone-hook"}},
			{ID: "supervisor", Phone: "2", Receivers: []string{"phone-hook"}},
			{ID: "manager", Phone: "3", Receivers: []string{"phone-hook"}},
		},
		Shifts: []site.Shift{{Name: "all", Levels: [][]string{{"operator"}, {"supervisor"}, {"manager"}}}},
		Routes: []site.Route{
			{Severities: []string{"critical"}, Receivers: []string{"control-room"}, Duty: true},
			{Receivers: []string{"control-room"}},
		},
	}
	for name, u := range urls {
		n.Receivers = append(n.Receivers, site.Receiver{Name: name, Type: site.ReceiverWebhook, URL: u,
			RatePerMinute: 0, Timeout: site.Duration(2 * time.Second)})
	}
	return n
}

// newService builds a service on n with webhook receivers.
func newService(t *testing.T, n *site.Notify, dir string, now func() time.Time) *Service {
	t.Helper()
	return newServiceClient(t, n, dir, now, &http.Client{})
}

// newServiceClient is newService whose receivers post with client.
func newServiceClient(t *testing.T, n *site.Notify, dir string, now func() time.Time, client *http.Client) *Service {
	t.Helper()
	b, err := Build(n, client, now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Notify: n, SiteID: "demo", Receivers: b.Receivers, Resend: b.Resend, OutboxDir: dir,
		Links: &acklink.Signer{Key: []byte("k"), Base: n.PublicURL, TTL: time.Hour},
		Now:   now, Backoff: Backoff{Min: 20 * time.Millisecond, Max: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// raise returns a raise transition.
func raise(rule, device string, sev alarms.Severity, at time.Time) alarms.Transition {
	return alarms.Transition{ID: alarms.AlarmID(rule, device, at), Rule: rule, Site: "demo", Area: "north", Kind: "perimeter_zone",
		Device: device, Severity: sev, Message: rule + " on " + device, Cite: "篇3·十五·7", Change: alarms.Raise,
		Time: at, ActiveSince: at, To: alarms.ActiveUnacked}
}

// clearOf returns the clear of a raise.
func clearOf(r alarms.Transition, at time.Time) alarms.Transition {
	c := r
	c.Change, c.Time, c.From, c.To = alarms.Clear, at, alarms.ActiveUnacked, alarms.ClearedUnacked
	return c
}

// ackOf returns the acknowledgement of a raise.
func ackOf(r alarms.Transition, by string, at time.Time) alarms.Transition {
	c := r
	c.Change, c.Time, c.By, c.To = alarms.Ack, at, by, alarms.ActiveAcked
	return c
}

// pendingSummary lists the outbox's pending messages as
// "event receiver person level count", in order.
func pendingSummary(t *testing.T, s *Service) []string {
	t.Helper()
	var out []string
	for _, e := range s.ob.Pending() {
		out = append(out, summary(t, e))
	}
	return out
}

func summary(t *testing.T, e outbox.Entry) string {
	var m Message
	if err := jsonUnmarshal(e.Body, &m); err != nil {
		t.Fatal(err)
	}
	to := "-"
	if m.To != nil {
		to = m.To.ID
	}
	return fmt.Sprintf("%s %s %s L%d ×%d", m.Event, m.Receiver, to, m.Level, m.Count)
}

// TestEscalation runs 篇4·02PART·11 on a simulated clock: an
// unacknowledged critical alarm reaches level 2 at its deadline and level
// 3 at the next; acknowledgement stops it; the clear reaches everyone who
// heard.
func TestEscalation(t *testing.T) {
	c := testsupport.NewClock(t0)
	n := testSite(map[string]string{"control-room": "http://127.0.0.1:1", "phone-hook": "http://127.0.0.1:1"})
	n.FloodHold = 0
	s := newService(t, n, t.TempDir(), c.Now)
	defer s.ob.Close()
	r := raise("intrusion", "zone-1", alarms.Critical, t0)
	steps := []struct {
		name string
		at   time.Duration
		tr   []alarms.Transition
		want []string // new pending messages
	}{
		{"raise: control room and level 1", 0, []alarms.Transition{r},
			[]string{"firing control-room - L0 ×1", "firing phone-hook operator L1 ×1"}},
		{"just before the deadline: nothing", 2*time.Minute - time.Millisecond, nil, nil},
		{"deadline: level 2", 2 * time.Minute, nil, []string{"escalation phone-hook supervisor L2 ×1"}},
		{"next deadline: level 3", 4 * time.Minute, nil, []string{"escalation phone-hook manager L3 ×1"}},
		{"unacknowledged still: level 3 again", 6 * time.Minute, nil, []string{"escalation phone-hook manager L4 ×1"}},
		{"acknowledged", 7 * time.Minute, []alarms.Transition{ackOf(r, "manager", t0.Add(7*time.Minute))}, nil},
		{"no more escalation after the ack", 30 * time.Minute, nil, nil},
		{"clear: recovery notice to all who heard", 31 * time.Minute, []alarms.Transition{clearOf(r, t0.Add(31*time.Minute))},
			[]string{"resolved control-room - L0 ×1", "resolved phone-hook operator L0 ×1", "resolved phone-hook supervisor L0 ×1", "resolved phone-hook manager L0 ×1"}},
	}
	seen := 0
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			c.Set(t0.Add(st.at))
			if st.tr != nil {
				if err := s.Transitions(context.Background(), st.tr); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Tick(c.Now()); err != nil {
				t.Fatal(err)
			}
			all := pendingSummary(t, s)
			got := all[seen:]
			seen = len(all)
			if strings.Join(got, "; ") != strings.Join(st.want, "; ") {
				t.Errorf("new messages:\n got %q\nwant %q", got, st.want)
			}
		})
	}
}

// TestEscalationMajorDefault: a major alarm escalates at 10 minutes, a
// minor one never.
func TestEscalationMajorDefault(t *testing.T) {
	c := testsupport.NewClock(t0)
	n := testSite(map[string]string{"control-room": "http://127.0.0.1:1", "phone-hook": "http://127.0.0.1:1"})
	n.FloodHold = 0
	n.Routes = []site.Route{{Duty: true}}
	s := newService(t, n, t.TempDir(), c.Now)
	defer s.ob.Close()
	s.Transitions(context.Background(), []alarms.Transition{raise("pump-fault", "p1", alarms.Major, t0), raise("bin-full", "b1", alarms.Minor, t0)})
	for _, tc := range []struct {
		at   time.Duration
		want int
	}{{9 * time.Minute, 2}, {10 * time.Minute, 3}, {time.Hour, 8}} {
		s.Tick(t0.Add(tc.at))
		if got := len(pendingSummary(t, s)); got != tc.want {
			t.Errorf("at %s: %d messages, want %d: %q", tc.at, got, tc.want, pendingSummary(t, s))
		}
	}
}

// TestFloodGroupsOnSimulatedClock: 50 zone alarms in 2 s make one grouped
// message per receiver and per person.
func TestFloodGroupsOnSimulatedClock(t *testing.T) {
	c := testsupport.NewClock(t0)
	n := testSite(map[string]string{"control-room": "http://127.0.0.1:1", "phone-hook": "http://127.0.0.1:1"})
	s := newService(t, n, t.TempDir(), c.Now)
	defer s.ob.Close()
	for i := range 50 {
		at := t0.Add(time.Duration(i) * 40 * time.Millisecond)
		c.Set(at)
		s.Transitions(context.Background(), []alarms.Transition{raise("perimeter-intrusion", fmt.Sprintf("zone-%02d", i), alarms.Critical, at)})
		s.Tick(at)
	}
	s.Tick(t0.Add(2 * time.Second))
	want := []string{"firing control-room - L0 ×50", "firing phone-hook operator L1 ×50"}
	if got := pendingSummary(t, s); strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("got %q, want %q", got, want)
	}
	// The group escalates as one, too.
	s.Tick(t0.Add(2*time.Second + 2*time.Minute))
	if got := pendingSummary(t, s); len(got) != 3 || got[2] != "escalation phone-hook supervisor L2 ×50" {
		t.Fatalf("escalation: %q", got)
	}
}

// TestSingleAlarmWaitsOnlyTheHold: a lone alarm goes out after the hold,
// not the window.
func TestSingleAlarmWaitsOnlyTheHold(t *testing.T) {
	c := testsupport.NewClock(t0)
	n := testSite(map[string]string{"control-room": "http://127.0.0.1:1", "phone-hook": "http://127.0.0.1:1"})
	s := newService(t, n, t.TempDir(), c.Now)
	defer s.ob.Close()
	s.Transitions(context.Background(), []alarms.Transition{raise("fire", "panel", alarms.Major, t0)})
	s.Tick(t0.Add(49 * time.Millisecond))
	if len(pendingSummary(t, s)) != 0 {
		t.Fatal("sent before the hold ended")
	}
	s.Tick(t0.Add(50 * time.Millisecond))
	if got := pendingSummary(t, s); len(got) != 1 {
		t.Fatalf("after the hold: %q", got)
	}
}

// TestClearDuringHoldKeepsOrder: an alarm cleared while its group is held
// goes out firing, then resolved.
func TestClearDuringHoldKeepsOrder(t *testing.T) {
	c := testsupport.NewClock(t0)
	n := testSite(map[string]string{"control-room": "http://127.0.0.1:1", "phone-hook": "http://127.0.0.1:1"})
	s := newService(t, n, t.TempDir(), c.Now)
	defer s.ob.Close()
	r := raise("fire", "panel", alarms.Major, t0)
	s.Transitions(context.Background(), []alarms.Transition{r, clearOf(r, t0.Add(10*time.Millisecond))})
	want := "firing control-room - L0 ×1; resolved control-room - L0 ×1"
	if got := strings.Join(pendingSummary(t, s), "; "); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestFloodToRealReceivers: 50 zone alarms within 2 s on the real clock
// arrive as one grouped message at each receiver.
func TestFloodToRealReceivers(t *testing.T) {
	room, phones := newSink(t), newSink(t)
	n := testSite(map[string]string{"control-room": room.URL(), "phone-hook": phones.URL()})
	// The first alarm waits 1 s for others (50 ms in testSite: a loaded
	// machine stretched the 30 ms gaps past it and split the group).
	n.FloodHold, n.FloodWindow = site.Duration(time.Second), site.Duration(4*time.Second)
	s := newService(t, n, t.TempDir(), time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for i := range 50 {
		now := time.Now()
		s.Transitions(ctx, []alarms.Transition{raise("perimeter-intrusion", fmt.Sprintf("zone-%02d", i), alarms.Critical, now)})
		time.Sleep(30 * time.Millisecond) // spread the 50 over 1.5 s
	}
	testsupport.Eventually(t, 20*time.Second, "both receivers, nothing left to send", func() bool {
		s.mu.Lock()
		held := !s.flood.Next().IsZero()
		s.mu.Unlock()
		return !held && s.ob.Len() == 0 && len(room.requests()) > 0 && len(phones.requests()) > 0
	})
	for name, sk := range map[string]*sink{"control-room": room, "phone-hook": phones} {
		ms := sk.messages(t)
		if len(ms) != 1 || ms[0].Count != 50 || len(ms[0].Alerts) != 50 {
			t.Errorf("%s: %d messages, first count %d", name, len(ms), ms[0].Count)
		}
	}
}

// TestReceiverDownThenUp: messages queued while the receiver is down for
// 60 s, with facmon restarted in between, all arrive once it is up; none is
// lost. It runs in a synctest bubble: the outage and the retry backoff pass
// on the fake clock, the receiver is reached over an in-memory network, the
// outbox is written to real files.
func TestReceiverDownThenUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const outage = 60 * time.Second
		var mem testsupport.MemNet // nothing listens: the receiver is down
		tr := &http.Transport{DialContext: mem.DialContext}
		defer tr.CloseIdleConnections()
		hook := &sink{t: t, addr: "hook.invalid", status: 200, answer: "ok"}
		defer hook.Stop()
		n := testSite(map[string]string{"control-room": hook.URL(), "phone-hook": hook.URL()})
		n.FloodHold = 0
		n.Routes = []site.Route{{Receivers: []string{"control-room"}}}
		dir := t.TempDir()
		start := time.Now()

		run := func(s *Service) (stop func()) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { s.Run(ctx); close(done) }()
			return func() { cancel(); <-done }
		}
		want := map[string]bool{}
		send := func(s *Service, from, to int) {
			for i := from; i < to; i++ {
				r := raise(fmt.Sprintf("rule-%d", i), "dev", alarms.Major, time.Now())
				ts := []alarms.Transition{r}
				want["firing "+r.ID] = true
				if i%2 == 0 {
					ts = append(ts, clearOf(r, time.Now()))
					want["resolved "+r.ID] = true
				}
				if err := s.Transitions(context.Background(), ts); err != nil {
					t.Fatal(err)
				}
			}
		}
		s1 := newServiceClient(t, n, dir, time.Now, &http.Client{Transport: tr})
		stop := run(s1)
		send(s1, 0, 20)
		time.Sleep(outage / 2)
		stop() // facmon stops with everything still pending
		s2 := newServiceClient(t, n, dir, time.Now, &http.Client{Transport: tr})
		if got := s2.ob.Len(); got != len(want) {
			t.Fatalf("after restart %d messages pending, want %d", got, len(want))
		}
		stop = run(s2)
		defer stop()
		send(s2, 20, 30)
		time.Sleep(time.Until(start.Add(outage)))
		if n := len(hook.requests()); n != 0 {
			t.Fatalf("%d requests arrived while the receiver was down", n)
		}
		hook.serve(mem.Listen())
		testsupport.Eventually(t, 60*time.Second, "every message", func() bool { return len(hook.keys()) == len(want) })
		got := map[string]bool{}
		for _, m := range hook.messages(t) {
			got[string(m.Event)+" "+m.Alerts[0].ID] = true
		}
		var missing []string
		for k := range want {
			if !got[k] {
				missing = append(missing, k)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 || len(got) != len(want) {
			t.Fatalf("missing %q; got %d distinct, want %d", missing, len(got), len(want))
		}
		t.Logf("outage %s (fake clock): %d messages, %d requests (duplicates share their key)", outage, len(want), len(hook.requests()))
	})
}
