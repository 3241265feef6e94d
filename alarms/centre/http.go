package centre

import (
	"encoding/json"
	"net/http"
	"slices"

	"facmon/alarms"
	"facmon/alarms/board"
)

// Tile is one site on the group map.
type Tile struct {
	Site  string `json:"site"`
	Name  string `json:"name"`
	Group string `json:"group,omitempty"`
	// Worst is the severity of the worst alarm not back to normal ("" if
	// none); the tile takes its colour.
	Worst   string `json:"worst,omitempty"`
	Active  int    `json:"active"`
	Unacked int    `json:"unacked"`
	Offline bool   `json:"offline"`
	// DeviceCount, DevicesOffline and DevicesFault count the site's
	// devices whose status the centre has (from
	// facmon/<site>/status/<device>): all, offline, faulty.
	DeviceCount    int `json:"device_count"`
	DevicesOffline int `json:"devices_offline"`
	DevicesFault   int `json:"devices_fault"`
	// URL is the site's own console, where a click on the tile leads.
	URL string `json:"url"`
}

// Tiles returns the group map: every configured site with its worst alarm.
func (c *Centre) Tiles() []Tile {
	tiles := make([]Tile, len(c.cfg.Sites))
	idx := map[string]int{}
	worst := make([]alarms.Severity, len(tiles))
	for i, s := range c.cfg.Sites {
		tiles[i] = Tile{Site: s.ID, Name: s.Name, Group: s.Group, URL: s.URL}
		tiles[i].DeviceCount, tiles[i].DevicesOffline, tiles[i].DevicesFault = c.devices.counts(s.ID)
		idx[s.ID] = i
	}
	for _, a := range c.board.Alarms(board.ListFilter{}) {
		i, ok := idx[a.Site]
		if !ok || a.State == alarms.Normal {
			continue
		}
		t := &tiles[i]
		t.Active++
		if a.Unacked() {
			t.Unacked++
		}
		if a.Rule == SiteOfflineRule && (a.State == alarms.ActiveUnacked || a.State == alarms.ActiveAcked) {
			t.Offline = true
		}
		if worst[i] == 0 || a.Severity < worst[i] {
			worst[i] = a.Severity
		}
	}
	for i := range tiles {
		if worst[i] != 0 {
			tiles[i].Worst = worst[i].String()
		}
	}
	slices.SortStableFunc(tiles, func(a, b Tile) int {
		if a.Group != b.Group {
			if a.Group < b.Group {
				return -1
			}
			return 1
		}
		return 0
	})
	return tiles
}

// serveSites serves GET /api/v1/centre/sites: the group map's tiles.
func (c *Centre) serveSites(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"name": c.cfg.Name, "timezone": c.cfg.Location.String(), "sites": c.Tiles()})
}

// SiteDetail is one site's tile with its devices' status.
type SiteDetail struct {
	Tile
	Devices []Device `json:"devices"`
}

// serveSite serves GET /api/v1/centre/sites/{site}: the site's tile and
// the status of each of its devices.
func (c *Centre) serveSite(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("site")
	for _, t := range c.Tiles() {
		if t.Site == id {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(SiteDetail{Tile: t, Devices: c.devices.list(id)})
			return
		}
	}
	http.Error(w, "no such site", http.StatusNotFound)
}
