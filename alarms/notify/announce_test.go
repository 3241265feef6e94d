package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"facmon/internal/testsupport"
)

// A report announcement goes through the outbox to the receivers named,
// titled 运行报告; announced twice while the receiver is down, it is one
// pending message, delivered once the receiver is back.
func TestAnnounceReport(t *testing.T) {
	room, phones := newSink(t), newSink(t)
	n := testSite(map[string]string{"control-room": room.URL(), "phone-hook": phones.URL()})
	s := newService(t, n, t.TempDir(), time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	text := "运行日报（2026-12-05）：新增告警9条（紧急2条），未恢复3条，超时4项。 https://facmon.example/reports/2026-12-05"
	room.Stop()
	for range 2 {
		if err := s.Announce("report/demo/2026-12-05", text, []string{"control-room"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	if s.ob.Len() != 1 {
		t.Errorf("outbox holds %d messages, want 1", s.ob.Len())
	}
	room.Start()
	testsupport.Eventually(t, 20*time.Second, "the announcement delivered", func() bool {
		return s.ob.Len() == 0 && len(room.requests()) > 0
	})
	ms := room.messages(t)
	if len(ms) != 1 {
		t.Fatalf("control-room got %d messages, want 1", len(ms))
	}
	m := ms[0]
	if m.Event != Report || m.Lang != "zh" || len(m.Alerts) != 1 || m.Alerts[0].Message != text {
		t.Errorf("message %+v", m)
	}
	if got := m.Title(); !strings.HasSuffix(got, "运行报告") {
		t.Errorf("title %q, want … 运行报告", got)
	}
	if !strings.Contains(m.Markdown(), "https://facmon.example/reports/2026-12-05") {
		t.Errorf("markdown lacks the link:\n%s", m.Markdown())
	}
	if len(phones.requests()) != 0 {
		t.Errorf("phone-hook got %d messages, want none (not named)", len(phones.requests()))
	}
	if err := s.Announce("report/x", text, []string{"nope"}, ""); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown receiver: err %v", err)
	}
}
