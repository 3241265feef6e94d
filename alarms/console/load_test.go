package console_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"facmon/deploy/testbed"
)

// TestAlarmRaisedWhileTheBoardLoads: the page opens the event stream, then
// reads the board; an alarm raised after the server answered the board but
// before the page applied the answer (a busy machine, a slow network) must
// stay in the list, not be wiped by the older board. The board's answer is
// held in the page until the alarm has come in over the stream.
func TestAlarmRaisedWhileTheBoardLoads(t *testing.T) {
	needBrowser(t)
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	dir := t.TempDir()
	fm := startFacmon(t, writeSite(t, dir, siteOptions{mqttURL: mq.URL}), filepath.Join(dir, "data"))
	pub := mqttClient(t, mq.URL)
	b := newBrowser(t)
	b.do(t, "open the console", chromedp.Navigate(fm.url("/")), chromedp.WaitVisible(chromedp.ID("login-user")))
	eval[bool](t, b, `(() => {
		const f = window.fetch;
		window.fetch = (u, o) => {
			const p = f(u, o);
			if (String(u) !== "/api/v1/alarms" || window.holdBoard) return p;
			window.holdBoard = true;
			return p.then((r) => new Promise((res) => { window.releaseBoard = () => res(r); }));
		};
		return true;
	})()`)
	b.do(t, "login",
		chromedp.SetValue(chromedp.ID("login-user"), "op"),
		chromedp.SetValue(chromedp.ID("login-password"), "op-password"),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("app")))
	until(t, b, 20*time.Second, "the board requested and held, the stream connected", `window.releaseBoard && window.facmon.connected`)
	publish(t, pub, "north-wall-1", 1)
	until(t, b, 20*time.Second, "alarm in from the stream", rowOf("north-wall-1"))
	eval[bool](t, b, `(() => { window.streamAlarms = window.facmon.alarms; window.releaseBoard(); return true; })()`)
	until(t, b, 20*time.Second, "the board applied", `window.facmon.alarms !== window.streamAlarms`)
	if !eval[bool](t, b, `[...window.facmon.alarms.values()].some((a) => a.device === "north-wall-1" && a.state === "active-unacknowledged")`) {
		t.Fatal("the alarm raised while the board loaded is gone from the list")
	}
	until(t, b, 10*time.Second, "its row shown", rowOf("north-wall-1")+` && `+rowOf("north-wall-1")+`.classList.contains("unacked")`)
}
