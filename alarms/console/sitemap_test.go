package console_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// mapProblems lists, for the site map in svg #id, every label that lies
// outside the map, outside its own shape, over another label, or under or
// over a shape that is not its own (or its own shape's container); every
// area and zone name that is not shown whole; and every perimeter zone on
// the plan that is not drawn as a wall section. Boxes are the browser's
// (getBoundingClientRect), so they are what the operator sees.
const mapProblems = `((id) => {
	const svg = document.getElementById(id), site = window.facmon.site;
	const box = (e) => e.getBoundingClientRect();
	const E = 0.5;
	const inside = (a, b) => a.left >= b.left - E && a.right <= b.right + E && a.top >= b.top - E && a.bottom <= b.bottom + E;
	const meet = (a, b) => a.left < b.right - E && b.left < a.right - E && a.top < b.bottom - E && b.top < a.bottom - E;
	const groups = [...svg.querySelectorAll("g")].map((g) => ({ g, name: g.querySelector("text").textContent,
		shape: box(g.querySelector("rect")), label: box(g.querySelector("text")) }));
	const out = [];
	const map = box(svg);
	for (const a of groups) {
		if (!inside(a.label, map)) out.push("outside the map: " + a.name);
		if (!inside(a.label, a.shape)) out.push("outside its shape: " + a.name);
		for (const b of groups) {
			if (a === b) continue;
			if (meet(a.label, b.label)) out.push("labels overlap: " + a.name + " / " + b.name);
			if (meet(a.label, b.shape) && !inside(a.shape, b.shape)) out.push("label under/over a shape: " + a.name + " / " + b.name);
		}
	}
	const shown = new Set(groups.map((x) => x.name));
	for (const z of site.zones) if (!shown.has(z.name)) out.push("zone name not whole: " + z.name);
	for (const a of site.areas) {
		if (svg.querySelector('g[data-area="' + a.id + '"]') && !shown.has(a.name)) out.push("area name not whole: " + a.name);
	}
	for (const z of site.zones) {
		if (z.kind !== "perimeter" || !z.map) continue;
		const g = svg.querySelector('g[data-zone="' + z.id + '"]');
		const r = box(g.querySelector("rect"));
		if (!g.classList.contains("wall") || Math.min(r.width, r.height) > 0.15 * Math.max(r.width, r.height)) out.push("not a wall section: " + z.name);
	}
	return out;
})`

// TestDemoSiteMapLegible: on the demo community's plan (the embedded demo,
// an intrusion under way) every area and zone name is shown whole, no label
// overlaps another or a shape, and the perimeter zones are wall sections.
// The screenshot is /tmp/facmon-demo-map.png.
func TestDemoSiteMapLegible(t *testing.T) {
	needBrowser(t)
	bin := facmonBinary(t)
	addr := fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t))
	cmd := exec.Command(bin, "demo", "--scenario", "intrusion", "--listen", addr, "--data-dir", t.TempDir(),
		"--start", testsupport.SimStartClock(t))
	cmd.Env = append(os.Environ(), "FACMON_DEMO_PASSWORD=demo-password")
	log := testsupport.Start(t, cmd)
	url := "http://" + addr
	testsupport.Eventually(t, 60*time.Second, "facmon demo serving", func() bool { return get(url+"/metrics", "", "") != "" }, log)

	b := newBrowser(t)
	b.do(t, "login",
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.ID("login-user")),
		chromedp.SetValue(chromedp.ID("login-user"), "demo"),
		chromedp.SetValue(chromedp.ID("login-password"), "demo-password"),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("app")),
	)
	until(t, b, 20*time.Second, "site map drawn", `window.facmon.site && document.querySelectorAll("#map g").length > 0`)
	until(t, b, 60*time.Second, "an intruded wall section flashing", `document.querySelector("#map g.zone.wall.flash")`)
	b.do(t, "close popup", chromedp.Click(chromedp.ID("popup-close")))
	for _, p := range eval[[]string](t, b, mapProblems+`("map")`) {
		t.Error(p)
	}
	b.screenshot(t, "/tmp/facmon-demo-map.png")
}
