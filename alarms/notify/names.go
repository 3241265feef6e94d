package notify

import (
	"strings"
	"time"

	"facmon/internal/site"
)

// Names are the site file's words for its ids, and its time zone: what a
// message shows a guard instead of ids (the community, area and device
// names, the zone and household of an in-home alarm, the zone's camera).
type Names struct {
	// Site is the community's name (湖畔花园).
	Site string
	// Location is the site's time zone; UTC when nil.
	Location *time.Location
	areas    map[string]string
	devices  map[string]deviceNames
	// sites names the communities of a group centre's alerts by site id.
	sites map[string]string
}

// SiteNames are the names of a group centre's messages (facmon centre,
// docs/centre.md): each alert names its own community, sites mapping site
// id to name as centre.yaml writes them; centre, the centre's own name,
// names an alert of no listed site. The centre's alarms are about a site
// as a whole (site-offline): their device is the site id, named by the
// site's name too. Times are in loc.
func SiteNames(centre string, loc *time.Location, sites map[string]string) *Names {
	return &Names{Site: centre, Location: loc, sites: sites}
}

// deviceNames is what a message says about one device.
type deviceNames struct {
	name, zone, household, camera string
}

// NamesOf gathers the names of a loaded site. A device's camera link is its
// zone's camera, else its `camera` label when that is a link.
func NamesOf(s *site.Site) *Names {
	n := &Names{Site: s.Name, Location: s.Location, areas: map[string]string{}, devices: map[string]deviceNames{}}
	for _, a := range s.Areas {
		n.areas[a.ID] = a.Name
	}
	for _, d := range s.Devices {
		dn := deviceNames{name: d.Name}
		if c := d.Labels["camera"]; isLink(c) {
			dn.camera = c
		}
		n.devices[d.ID] = dn
	}
	for _, z := range s.Zones {
		for _, id := range z.Devices {
			dn := n.devices[id]
			dn.zone = z.Name
			if z.Kind == site.InHome {
				dn.household = z.Household
			}
			if z.Camera != "" {
				dn.camera = z.Camera
			}
			n.devices[id] = dn
		}
	}
	return n
}

// isLink reports whether s is an http(s) link.
func isLink(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// location returns the site's time zone.
func (n *Names) location() *time.Location {
	if n == nil || n.Location == nil {
		return time.UTC
	}
	return n.Location
}

// describe fills the names, local times and links of a: ids the site file
// does not name are shown as they are. A device of a whole-selection alarm
// ("tank-1+tank-2") is each device's name, joined.
func (n *Names) describe(a *Alert) {
	loc := n.location()
	a.StartsAt = a.StartsAt.In(loc)
	a.At = localClock(a.StartsAt)
	if !a.EndsAt.IsZero() {
		a.EndsAt = a.EndsAt.In(loc)
		a.EndedAt = localClock(a.EndsAt)
	}
	if n == nil {
		return
	}
	a.SiteName = n.Site
	if name, ok := n.sites[a.Site]; ok {
		a.SiteName = name
	}
	a.AreaName = n.areas[a.Area]
	var names []string
	for _, id := range strings.Split(a.Device, "+") {
		d, ok := n.devices[id]
		if !ok {
			continue
		}
		names = append(names, d.name)
		a.Household = first(a.Household, d.household)
		a.CameraURL = first(a.CameraURL, d.camera)
		a.Zone = first(a.Zone, d.zone)
	}
	a.DeviceName = strings.Join(names, "、")
	if name, ok := n.sites[a.Device]; ok && a.DeviceName == "" {
		a.DeviceName = name
	}
}

// ended marks a as cleared at t.
func (n *Names) ended(a *Alert, t time.Time) {
	a.EndsAt = t.In(n.location())
	a.EndedAt = localClock(a.EndsAt)
}

// localClock is a local time as a message shows it: month, day and time
// of day (12-07 04:47:10).
func localClock(t time.Time) string { return t.Format("01-02 15:04:05") }

// first returns a, or b when a is empty.
func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
