package console_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// TestChatteringZoneIsOneRow: a perimeter zone that raises three times
// (raise, clear, raise, clear, raise) is one row with the count and the
// newest time; the count opens the three occurrences under it; one
// Acknowledge on the row acknowledges all three (ISA-18.2 / EEMUA 191
// treat chattering as one fault).
func TestChatteringZoneIsOneRow(t *testing.T) {
	needBrowser(t)
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	dir := t.TempDir()
	fm := startFacmon(t, writeSite(t, dir, siteOptions{mqttURL: mq.URL}), filepath.Join(dir, "data"))
	pub := mqttClient(t, mq.URL)
	type alarm struct{ ID, Device, State string }
	board := func() []alarm {
		var body struct{ Alarms []alarm }
		_ = json.Unmarshal([]byte(get(fm.url("/api/v1/alarms?device=north-wall-1"), "op", "op-password")), &body)
		return body.Alarms
	}
	for i, v := range []int{1, 0, 1, 0, 1} {
		publish(t, pub, "north-wall-1", v)
		want := (i + 2) / 2
		testsupport.Eventually(t, 20*time.Second, "occurrences on the board", func() bool { return len(board()) == want })
	}
	b := newBrowser(t)
	b.login(t, fm, "op")
	rows := `[...document.querySelectorAll("#alarm-rows tr")].filter(r => r.dataset.id.includes("/north-wall-1/"))`
	until(t, b, 10*time.Second, "one row with the count 3", rows+`.length === 1 && `+rowOf("north-wall-1")+`.querySelector("button.count").textContent === "×3"`)
	newest := board()[0].ID
	for _, a := range board() {
		if a.ID > newest { // ids end in the raise time, equal width
			newest = a.ID
		}
	}
	if got := eval[string](t, b, rowOf("north-wall-1")+`.dataset.id`); got != newest {
		t.Errorf("the row shows %s, want the newest occurrence %s", got, newest)
	}
	if eval[bool](t, b, `!document.getElementById("popup").hidden`) {
		b.do(t, "close the popup", chromedp.Click(chromedp.ID("popup-close")))
	}
	b.do(t, "open the occurrences", chromedp.Click(chromedp.CSS(`#alarm-rows tr.group button.count`)))
	until(t, b, 10*time.Second, "three rows", rows+`.length === 3 && `+rows+`.slice(1).every(r => r.classList.contains("occurrence"))`)
	b.do(t, "acknowledge the group", chromedp.Click(chromedp.CSS(`#alarm-rows tr.group td.actions button.ack`)))
	testsupport.Eventually(t, 20*time.Second, "every occurrence acknowledged", func() bool {
		as := board()
		for _, a := range as {
			if strings.Contains(a.State, "unacknowledged") {
				return false
			}
		}
		return len(as) == 3
	})
	until(t, b, 10*time.Second, "no unacknowledged row", `document.querySelectorAll("#alarm-rows tr.unacked").length === 0`)
}
