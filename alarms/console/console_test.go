package console

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func serve(c *Console, path string) *httptest.ResponseRecorder {
	mux := http.NewServeMux()
	c.Mount(mux.Handle)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

func TestRoutes(t *testing.T) {
	c := New(Options{Site: func() SiteMap {
		return SiteMap{Site: "s", Zones: []Zone{{ID: "z", Name: "<b>", Devices: []string{"d"}}}}
	}})
	for _, tc := range []struct {
		name, path, want, ctype string
	}{
		{"page", "/", `<script src="/assets/console.js" defer>`, "text/html"},
		{"script", "/assets/console.js", "textContent", "javascript"},
		{"style", "/assets/console.css", ".flash", "text/css"},
		{"site map", "/api/v1/console/site", `"zones":[{"id":"z","name":"\u003cb\u003e"`, "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(c, tc.path)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), tc.want) || !strings.Contains(rec.Header().Get("Content-Type"), tc.ctype) {
				t.Fatalf("%d %q\n%.300s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
		})
	}
	var m SiteMap
	if err := json.Unmarshal(serve(New(Options{}), "/api/v1/console/site").Body.Bytes(), &m); err != nil || m.Areas == nil || m.Devices == nil {
		t.Fatalf("empty site map: %+v %v", m, err)
	}
}

// TestAssetsKeepTheCSP checks what the strict CSP and the XSS rule need:
// no inline script or style in the page, no event-handler attributes, and
// no HTML insertion in the scripts.
func TestAssetsKeepTheCSP(t *testing.T) {
	bad := map[string]*regexp.Regexp{
		".html": regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=|javascript:`),
		".js":   regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\("style"|setAttribute\("on`),
	}
	err := fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := assets.ReadFile(path)
		for ext, re := range bad {
			if strings.HasSuffix(path, ext) {
				if m := re.Find(b); m != nil {
					t.Errorf("%s: %q breaks the CSP/XSS rule", path, m)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
