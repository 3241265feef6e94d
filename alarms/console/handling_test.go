package console_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"facmon/deploy/testbed"
)

// TestHandlingAsEngineer drives the handling buttons: acknowledge many at
// once, a note, shelve with reason and expiry, resolve — each in the
// engineer's name.
func TestHandlingAsEngineer(t *testing.T) {
	needBrowser(t)
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	dir := t.TempDir()
	fm := startFacmon(t, writeSite(t, dir, siteOptions{mqttURL: mq.URL}), filepath.Join(dir, "data"))
	pub := mqttClient(t, mq.URL)
	b := newBrowser(t)
	b.login(t, fm, "eng")

	for _, d := range []string{"north-wall-1", "north-wall-2"} {
		publish(t, pub, d, 1)
	}
	until(t, b, 10*time.Second, "two alarms", rowOf("north-wall-1")+" && "+rowOf("north-wall-2"))
	b.do(t, "acknowledge both", chromedp.Click(chromedp.ID("popup-close")),
		chromedp.Click(chromedp.ID("select-all")), chromedp.Click(chromedp.ID("ack-selected")))
	until(t, b, 10*time.Second, "both acknowledged", `document.querySelectorAll("#alarm-rows tr.unacked").length === 0`)

	dialog := func(what, button string, values map[string]string) {
		t.Helper()
		// One click: rows are updated in place, never rebuilt under the pointer.
		b.do(t, what+" dialog open", chromedp.Click(chromedp.CSS(rowSel("north-wall-1")+" td.actions button"+button)),
			chromedp.WaitVisible(chromedp.ID("ask-ok")))
		var steps []chromedp.Action[chromedp.Void]
		for k, v := range values {
			steps = append(steps, chromedp.SetValue(chromedp.CSS(`#ask-fields input[name=`+k+`]`), v))
		}
		b.do(t, what, append(steps, chromedp.Click(chromedp.ID("ask-ok")))...)
	}
	dialog("note", ".note", map[string]string{"text": "已派保安到北围墙查看"})
	until(t, b, 10*time.Second, "note shown", rowOf("north-wall-1")+`.querySelector("td.state").textContent.includes("已派保安")`)
	dialog("shelve", ".shelve", map[string]string{"reason": "探测器维修", "minutes": "30"})
	until(t, b, 10*time.Second, "shelved", rowOf("north-wall-1")+`.querySelector("td.state").textContent.includes("搁置")`)
	dialog("resolve", ".resolve", map[string]string{"result": "误报，树枝触碰"})
	until(t, b, 10*time.Second, "resolved", rowOf("north-wall-1")+`.querySelector("td.state").textContent.includes("误报")`)

	hist := get(fm.url("/api/v1/alarms/history?device=north-wall-1"), "eng", "eng-password")
	for _, change := range []string{`"change":"ack"`, `"change":"note"`, `"change":"shelve"`, `"change":"resolve"`} {
		if !strings.Contains(hist, change) {
			t.Errorf("history lacks %s", change)
		}
	}
	if strings.Count(hist, `"by":"eng"`) < 1 {
		t.Errorf("history does not name the engineer: %.400s", hist)
	}
}

// rowSel is a CSS selector for the row of a device's alarm.
func rowSel(device string) string { return `#alarm-rows tr[data-id*="/` + device + `/"]` }
