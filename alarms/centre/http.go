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
