// Package console is the operator console: the page, its script and style
// (embedded in the binary, no build step), and the site-map data the page
// draws. It serves GET / and /assets/…, and GET /api/v1/console/site. The
// page speaks only the JSON API and the event stream; who may use it is
// alarms/auth's business. Device names and messages are untrusted: the
// script inserts them as text only (textContent), and the strict
// Content-Security-Policy allows no inline script.
package console

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
)

//go:embed assets
var assets embed.FS

// Plan is the site map's coordinate space (the SVG viewBox).
type Plan struct {
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Rect is a rectangle on the plan.
type Rect struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

// Area is a part of the community on the map.
type Area struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Map  *Rect  `json:"map,omitempty"`
	// Link is where a click on the area leads: at the group centre, where
	// each area is a site's tile, the site's own console.
	Link string `json:"link,omitempty"`
}

// Zone is an alarm zone on the map, with what the popup shows of it.
type Zone struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	Area      string   `json:"area"`
	Devices   []string `json:"devices"`
	Camera    string   `json:"camera,omitempty"`
	Household string   `json:"household,omitempty"`
	Map       *Rect    `json:"map,omitempty"`
}

// Device is a device's names, so alarms show the site file's names.
type Device struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	Area string `json:"area"`
}

// SiteMap is what the console draws: the plan, areas, zones and devices.
// Without a plan the page lays the areas out in a grid itself.
type SiteMap struct {
	Site string `json:"site"`
	Name string `json:"name"`
	// Timezone is the site's IANA time zone: the page shows every time in
	// it, whatever the zone of the browser's machine.
	Timezone string `json:"timezone,omitempty"`
	Plan     *Plan  `json:"plan,omitempty"`
	// Group marks the group centre's console (facmon centre): the areas
	// are the sites, alarms carry their site, the page adds a site column
	// and filter and colours each site's tile by its worst alarm.
	Group   bool     `json:"group,omitempty"`
	Areas   []Area   `json:"areas"`
	Zones   []Zone   `json:"zones"`
	Devices []Device `json:"devices"`
}

// Options configure the console.
type Options struct {
	// Site returns the current site map; it is called on each request so
	// that a reloaded site file shows at once.
	Site func() SiteMap
}

// Console serves the page and its data.
type Console struct {
	o Options
}

// New builds the console.
func New(o Options) *Console {
	if o.Site == nil {
		o.Site = func() SiteMap { return SiteMap{} }
	}
	return &Console{o: o}
}

// Mount registers the console's routes with handle.
func (c *Console) Mount(handle func(pattern string, h http.Handler)) {
	sub, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(sub)
	handle("GET /{$}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, sub, "index.html")
	}))
	handle("GET /assets/", http.StripPrefix("/assets/", files))
	handle("GET /api/v1/console/site", http.HandlerFunc(c.serveSite))
}

func (c *Console) serveSite(w http.ResponseWriter, _ *http.Request) {
	m := c.o.Site()
	if m.Areas == nil {
		m.Areas = []Area{}
	}
	if m.Zones == nil {
		m.Zones = []Zone{}
	}
	if m.Devices == nil {
		m.Devices = []Device{}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(m)
}
