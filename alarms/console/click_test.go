package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/deploy/testbed"
)

const (
	clickTries   = 50
	noiseDevices = 20
	noisePerSec  = 22 // a margin over the 20 events/s the page must receive
)

// TestAckLandsOnFirstClick: while 20 alarm events per second stream in
// (20 perimeter zones raising and clearing in turn, re-sorting the list),
// the operator points at the Acknowledge button of a new alarm's row and
// clicks once, where the pointer is. In 50 tries the first click
// acknowledges that alarm every time, and no other alarm is acknowledged.
// The browser is in UTC, the site in Asia/Shanghai: the row's time is the
// site's.
func TestAckLandsOnFirstClick(t *testing.T) {
	needBrowser(t)
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	dir := t.TempDir()
	fm := startFacmon(t, writeSite(t, dir, siteOptions{mqttURL: mq.URL, bench: clickTries + noiseDevices}), filepath.Join(dir, "data"))
	pub := mqttClient(t, mq.URL)
	b := newBrowser(t)
	b.login(t, fm, "op")

	// Count the alarm events the page receives.
	eval[bool](t, b, `(() => { window.__alarmEvents = 0; window.facmon.es.addEventListener("alarm", () => window.__alarmEvents++); return true; })()`)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); noise(ctx, pub) }()
	t.Cleanup(func() { stop(); <-done })

	start := time.Now()
	for i := range clickTries {
		device := fmt.Sprintf("bench-%03d", i)
		publish(t, pub, device, 1)
		until(t, b, 60*time.Second, device+" row", rowOf(device)+`?.classList.contains("unacked")`)
		if i == 0 {
			checkSiteTime(t, b, fm, device)
		}
		x, y := aim(t, b, device)
		b.do(t, "think", chromedp.Sleep(300*time.Millisecond)) // the operator's aim, while events keep coming
		b.do(t, "click", chromedp.MouseClickXY(x, y))
		// One click, no retry: the alarm must be acknowledged by it.
		until(t, b, 60*time.Second, fmt.Sprintf("try %d: %s acknowledged by the first click", i+1, device),
			rowOf(device)+`?.querySelector("td.state").textContent.includes("(op)")`)
		b.do(t, "pointer away", chromedp.MouseEvent(chromedp.MouseMoved, 5, 5))
	}
	secs := time.Since(start).Seconds()
	events := eval[int](t, b, `window.__alarmEvents`)
	rate := float64(events) / secs
	t.Logf("%d first clicks landed in %.0f s while the page received %d alarm events (%.1f/s)", clickTries, secs, events, rate)
	// The publisher sends 22 events/s; a quiet machine delivers about 25/s
	// to the page (the clicks' own acks add some). A heavily loaded machine
	// delivers fewer without the test losing its point; under 12/s the
	// stream stalled and the clicks were not tested under a live list.
	if rate < 12 {
		t.Errorf("only %.1f alarm events/s reached the page, want about 20", rate)
	}

	var board struct {
		Alarms []struct{ Device, State string } `json:"alarms"`
	}
	if err := json.Unmarshal([]byte(get(fm.url("/api/v1/alarms"), "op", "op-password")), &board); err != nil {
		t.Fatal(err)
	}
	acked := 0
	for _, a := range board.Alarms {
		if strings.Contains(a.State, "-acknowledged") && !strings.Contains(a.State, "unacknowledged") {
			acked++
			var n int
			if _, err := fmt.Sscanf(a.Device, "bench-%03d", &n); err == nil && n >= clickTries {
				t.Errorf("%s, streaming noise, was acknowledged: a click landed on the wrong row", a.Device)
			}
		}
	}
	if acked != clickTries {
		t.Errorf("%d alarms acknowledged, want %d", acked, clickTries)
	}
	b.screenshot(t, "/tmp/facmon-console-clicks.png")
}

// noise raises and clears the noise zones in turn, noisePerSec messages a
// second (each one an alarm transition), until ctx ends.
func noise(ctx context.Context, pub paho.Client) {
	tick := time.NewTicker(time.Second / noisePerSec)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		dev := fmt.Sprintf("bench-%03d", clickTries+n%noiseDevices)
		pub.Publish("estate/perimeter/"+dev, 1, false, fmt.Sprintf(`{"alarm":%d}`, 1-(n/noiseDevices)%2))
	}
}

// aim moves the pointer onto the Acknowledge button of device's row, as
// an operator does (re-aiming if the row moved before the pointer got
// there), and returns where the pointer rests.
func aim(t *testing.T, b *browser, device string) (x, y float64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var p struct{ X, Y float64 }
		raw := eval[string](t, b, `(() => {
			const btn = `+rowOf(device)+`?.querySelector("button.ack");
			if (!btn) return "";
			btn.scrollIntoView({block: "center"});
			const r = btn.getBoundingClientRect();
			return JSON.stringify({X: r.left + r.width / 2, Y: r.top + r.height / 2});
		})()`)
		if raw != "" && json.Unmarshal([]byte(raw), &p) == nil {
			b.do(t, "point", chromedp.MouseEvent(chromedp.MouseMoved, p.X, p.Y))
			under := fmt.Sprintf(`document.elementFromPoint(%f, %f)?.closest("tr")?.dataset.id.includes("/%s/") && document.elementFromPoint(%f, %f).matches("button.ack")`, p.X, p.Y, device, p.X, p.Y)
			if eval[bool](t, b, "!!("+under+")") {
				return p.X, p.Y
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("could not point at %s's Acknowledge button", device)
		}
		b.do(t, "pointer away", chromedp.MouseEvent(chromedp.MouseMoved, 5, 5), chromedp.Sleep(50*time.Millisecond))
	}
}

// checkSiteTime: the row shows the alarm's time in the site's zone
// (Asia/Shanghai) although the browser runs in UTC.
func checkSiteTime(t *testing.T, b *browser, fm *facmon, device string) {
	t.Helper()
	if zone := eval[string](t, b, `Intl.DateTimeFormat().resolvedOptions().timeZone`); zone != "UTC" {
		t.Fatalf("browser time zone %q, want UTC", zone)
	}
	var board struct {
		Alarms []struct {
			Device      string
			ActiveSince time.Time `json:"active_since"`
		} `json:"alarms"`
	}
	if err := json.Unmarshal([]byte(get(fm.url("/api/v1/alarms"), "op", "op-password")), &board); err != nil {
		t.Fatal(err)
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range board.Alarms {
		if a.Device != device {
			continue
		}
		want := a.ActiveSince.In(sh).Format("2006/01/02 15:04:05")
		got := eval[string](t, b, rowOf(device)+`.querySelector("td.time").textContent`)
		if got != want {
			t.Errorf("row time %q, want %q (Asia/Shanghai; UTC would be %s)", got, want, a.ActiveSince.UTC().Format("15:04:05"))
		}
		return
	}
	t.Fatalf("%s not on the board", device)
}
