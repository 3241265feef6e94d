package console_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"facmon/deploy/testbed"
)

// TestIdleLock: an idle console keeps showing and sounding alarms, but
// acting asks for the password first.
func TestIdleLock(t *testing.T) {
	needBrowser(t)
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	dir := t.TempDir()
	fm := startFacmon(t, writeSite(t, dir, siteOptions{mqttURL: mq.URL, idle: "2s"}), filepath.Join(dir, "data"))
	pub := mqttClient(t, mq.URL)
	b := newBrowser(t)
	// The login reaches the server 3 s after the click, as on a busy
	// machine: the server counts the operator present from the login on,
	// later than the page's last input. The console must not show the lock
	// before the server applies it (an ack there used to answer 200).
	b.do(t, "open the console", chromedp.Navigate(fm.url("/")), chromedp.WaitVisible(chromedp.ID("login-user")))
	eval[bool](t, b, `(() => { const f = window.fetch; window.fetch = (u, o) => String(u).endsWith("/api/v1/session/login") ? new Promise((r) => setTimeout(r, 3000)).then(() => f(u, o)) : f(u, o); return true; })()`)
	b.do(t, "login",
		chromedp.SetValue(chromedp.ID("login-user"), "op"),
		chromedp.SetValue(chromedp.ID("login-password"), "op-password"),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("app")))

	until(t, b, 10*time.Second, "locked after 2 s idle", `!document.getElementById("locked").hidden && document.body.classList.contains("is-locked")`)
	publish(t, pub, "north-wall-1", 1)
	until(t, b, 10*time.Second, "alarm shown and sounding while locked", rowOf("north-wall-1")+` && document.body.dataset.sound === "on" && window.facmon.audio.state === "running"`)
	code := eval[int](t, b, `fetch("/api/v1/alarms/ack", {method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": window.facmon.session.csrf}, body: JSON.stringify({ids: [`+rowOf("north-wall-1")+`.dataset.id]})}).then(r => r.status)`)
	if code != 423 {
		t.Fatalf("ack while locked: %d, want 423", code)
	}
	b.do(t, "wrong password",
		chromedp.SetValue(chromedp.ID("unlock-password"), "not-my-password"),
		chromedp.Click(chromedp.CSS(`#unlock-form button[type=submit]`)))
	until(t, b, 5*time.Second, "refused", `document.getElementById("unlock-error").textContent !== "" && !document.getElementById("locked").hidden`)
	b.do(t, "unlock and acknowledge",
		chromedp.SetValue(chromedp.ID("unlock-password"), "op-password"),
		chromedp.Click(chromedp.CSS(`#unlock-form button[type=submit]`)),
		chromedp.WaitNotVisible(chromedp.ID("locked")),
		chromedp.Click(chromedp.CSS(`#alarm-rows button.ack`)))
	until(t, b, 10*time.Second, "acknowledged after unlock", rowOf("north-wall-1")+`.classList.contains("unacked") === false`)
}
