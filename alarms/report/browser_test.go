package report_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"

	"facmon/alarms/report"
	"facmon/internal/site"
)

const chromium = "/usr/bin/chromium"

func needBrowser(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no " + chromium)
	}
}

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	// The first action starts the browser, which lives as long as ctx.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// The report page, served by the console's report handler, renders in a
// real Chromium: its Chinese text is drawn with a CJK font (not boxes),
// the charts have size, the figures are in the DOM, and the screenshot
// is not blank.
func TestReportRendersInChromium(t *testing.T) {
	needBrowser(t)
	b := buildKnown(t, "")
	s, err := site.Load(b.site)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	report.Mount(mux.Handle, report.HandlerOptions{
		Site: func() *site.Site { return s },
		Options: func(s *site.Site, lang string) (report.Options, error) {
			o, err := report.OptionsFor(s, b.dataDir, lang)
			o.Now = func() time.Time { return at(1, 7, 0, 0) }
			return o, err
		},
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := newBrowser(t)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(c, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		v, err := chromedp.Run(c, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("eval %s: %v", js, err)
		}
		return v
	}
	run("open the report", chromedp.Navigate(srv.URL+"/reports/2026-12-05"), chromedp.WaitVisible(chromedp.ID("title")))

	for js, want := range map[string]string{
		`document.querySelector("#title").innerText`:                      "测试小区 运行日报 2026-12-05",
		`document.querySelector("#kpi-raised").innerText`:                 "9",
		`document.querySelector("#kpi-standing").innerText`:               "3",
		`document.querySelector("#kpi-missed").innerText`:                 "4",
		`String(document.querySelectorAll("svg.chart").length)`:           "6",
		`String(document.querySelectorAll("#missed tr").length - 1)`:      "4",
		`document.querySelector("#generators td:nth-child(2)").innerText`: "12-05 10:00:20",
		`document.querySelector("#tanks td").innerText`:                   "1号生活水箱",
		`String([...document.querySelectorAll("svg.chart")].every(e => e.getBoundingClientRect().width > 300 && e.getBoundingClientRect().height > 20))`: "true",
	} {
		if got := eval(js); got != want {
			t.Errorf("%s = %q, want %q", js, got, want)
		}
	}
	if body := eval(`document.body.innerText`); !strings.Contains(body, "撤防（被拒绝）") || !strings.Contains(body, "北围墙1防区") {
		t.Errorf("page text lacks the zone log:\n%s", body)
	}
	checkCJKFont(t, ctx)

	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	shot, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(os.TempDir(), "facmon-report-2026-12-05.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	checkNotBlank(t, shot)
}

// checkCJKFont asks Chromium which platform fonts drew the title: the
// Chinese glyphs must come from a CJK font, all of them.
func checkCJKFont(t *testing.T, ctx context.Context) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Call(c, css.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("CSS.enable: %v", err)
	}
	doc, err := chromedp.Call(c, dom.GetDocument, dom.GetDocumentParams{})
	if err != nil {
		t.Fatalf("DOM.getDocument: %v", err)
	}
	n, err := chromedp.Call(c, dom.QuerySelector, dom.QuerySelectorParams{NodeID: doc.Root.NodeID, Selector: "#title"})
	if err != nil || n.NodeID == 0 {
		t.Fatalf("DOM.querySelector #title: %v", err)
	}
	f, err := chromedp.Call(c, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: n.NodeID})
	if err != nil {
		t.Fatalf("CSS.getPlatformFontsForNode: %v", err)
	}
	var cjk float64
	var names []string
	for _, u := range f.Fonts {
		names = append(names, u.FamilyName)
		if strings.Contains(u.FamilyName, "CJK") || strings.Contains(u.FamilyName, "Hei") || strings.Contains(u.FamilyName, "Han") {
			cjk += u.GlyphCount
		}
	}
	// 测试小区运行日报: 8 Chinese characters.
	if cjk < 8 {
		t.Errorf("title drawn with %v: %v CJK glyphs, want the 8 Chinese characters from a CJK font", names, cjk)
	}
	t.Logf("title fonts: %v", names)
}

// checkNotBlank decodes the screenshot and wants a real page: mostly
// white paper with dark text and the charts' colours.
func checkNotBlank(t *testing.T, shot []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	bd := img.Bounds()
	var dark, colour, total int
	for y := bd.Min.Y; y < bd.Max.Y; y += 2 {
		for x := bd.Min.X; x < bd.Max.X; x += 2 {
			total++
			r, g, b := rgb(img, x, y)
			switch {
			case r < 90 && g < 90 && b < 90:
				dark++
			case max(r, g, b)-min(r, g, b) > 80:
				colour++
			}
		}
	}
	t.Logf("screenshot %dx%d: %.1f%% dark, %.1f%% coloured", bd.Dx(), bd.Dy(), 100*float64(dark)/float64(total), 100*float64(colour)/float64(total))
	if bd.Dy() < 1500 || dark*200 < total || colour*500 < total {
		t.Errorf("screenshot looks blank: %dx%d, %d dark and %d coloured of %d pixels", bd.Dx(), bd.Dy(), dark, colour, total)
	}
}

func rgb(img image.Image, x, y int) (int, int, int) {
	r, g, b, _ := img.At(x, y).RGBA()
	return int(r >> 8), int(g >> 8), int(b >> 8)
}
