package site

import "fmt"

// Plan is the site map's coordinate space (the console's SVG viewBox).
type Plan struct {
	Pos    `yaml:"-"`
	Width  float64 `yaml:"width"`
	Height float64 `yaml:"height"`
}

// Rect is a rectangle on the plan.
type Rect struct {
	Pos `yaml:"-"`
	X   float64 `yaml:"x"`
	Y   float64 `yaml:"y"`
	W   float64 `yaml:"w"`
	H   float64 `yaml:"h"`
}

// ZoneKind is a perimeter or in-home zone.
type ZoneKind string

// Zone kinds.
const (
	// Perimeter zones are the wall sections (篇3·二十二·5).
	Perimeter ZoneKind = "perimeter"
	// InHome zones are a household's alarm (篇3·十九·3).
	InHome ZoneKind = "inhome"
)

// Zone is an alarm zone that operators arm, disarm and bypass; the
// intrusion alarms of its devices are raised only while it is armed.
type Zone struct {
	Pos  `yaml:"-"`
	ID   string   `yaml:"id"`
	Name string   `yaml:"name"`
	Kind ZoneKind `yaml:"kind"`
	Area string   `yaml:"area"`
	// Devices are the devices whose intrusion alarms belong to the zone.
	Devices []string `yaml:"devices"`
	// AlwaysArmed marks a 24-hour zone (emergency buttons): it cannot be
	// disarmed or bypassed.
	AlwaysArmed bool `yaml:"always_armed"`
	// Camera is a link the console shows in the alarm popup (篇3·二十·10).
	Camera string `yaml:"camera"`
	// Household describes an in-home zone's household (篇3·十九·2).
	Household string `yaml:"household"`
	Map       *Rect  `yaml:"map,omitempty"`
}

// Linkage switches the linkage actions of the site's rules (floodlights,
// fountain pump).
type Linkage struct {
	Pos `yaml:"-"`
	// Enabled defaults to true; false turns every linkage action off.
	Enabled *bool `yaml:"enabled"`
}

// On reports whether linkage actions run.
func (l Linkage) On() bool { return l.Enabled == nil || *l.Enabled }

// ZoneOf returns the zone the device belongs to, if any.
func (s *Site) ZoneOf(device string) (*Zone, bool) {
	for i := range s.Zones {
		for _, d := range s.Zones[i].Devices {
			if d == device {
				return &s.Zones[i], true
			}
		}
	}
	return nil, false
}

// checkZones checks the plan, area maps and zones.
func (c *checker) checkZones() {
	s := c.site
	if s.Plan != nil && (s.Plan.Width <= 0 || s.Plan.Height <= 0) {
		c.errf(s.Plan.Pos, "plan: width and height must be greater than 0")
	}
	areas := map[string]bool{}
	for i := range s.Areas {
		a := &s.Areas[i]
		areas[a.ID] = true
		c.checkRect(a.Map, label("area", a.ID, i))
	}
	devices := map[string]bool{}
	for i := range s.Devices {
		devices[s.Devices[i].ID] = true
	}
	seen, owner := map[string]Pos{}, map[string]string{}
	for i := range s.Zones {
		z := &s.Zones[i]
		ctx := label("zone", z.ID, i)
		c.checkID(z, "id", z.ID, z.Pos, ctx)
		c.unique(seen, z.ID, c.at(z, "id", z.Pos), ctx)
		c.checkZone(z, ctx, areas, devices, owner)
	}
}

// checkZone checks one zone's kind, area, devices and map.
func (c *checker) checkZone(z *Zone, ctx string, areas, devices map[string]bool, owner map[string]string) {
	switch z.Kind {
	case Perimeter, InHome:
	case "":
		c.errf(z.Pos, "%s: kind missing (perimeter or inhome)", ctx)
	default:
		c.errf(c.at(z, "kind", z.Pos), "%s: kind %s unknown (want perimeter or inhome)", ctx, quote(string(z.Kind)))
	}
	if z.Area != "" && !areas[z.Area] {
		c.errf(c.at(z, "area", z.Pos), "%s: area %s undefined", ctx, quote(z.Area))
	}
	if len(z.Devices) == 0 {
		c.errf(c.at(z, "devices", z.Pos), "%s: devices missing (the devices whose intrusion alarms belong to the zone)", ctx)
	}
	for _, d := range z.Devices {
		switch {
		case !devices[d]:
			c.errf(c.at(z, "devices", z.Pos), "%s: device %s undefined", ctx, quote(d))
		case owner[d] != "":
			c.errf(c.at(z, "devices", z.Pos), "%s: device %s already in zone %s", ctx, quote(d), quote(owner[d]))
		default:
			owner[d] = z.ID
		}
	}
	c.checkRect(z.Map, ctx)
}

// checkRect checks a map rectangle against the plan.
func (c *checker) checkRect(r *Rect, ctx string) {
	if r == nil {
		return
	}
	if r.W <= 0 || r.H <= 0 {
		c.errf(r.Pos, "%s: map: w and h must be greater than 0", ctx)
	}
	if c.site.Plan == nil {
		c.errf(r.Pos, "%s: map given but the site has no plan (plan: {width: W, height: H})", ctx)
		return
	}
	if p := c.site.Plan; r.X < 0 || r.Y < 0 || r.X+r.W > p.Width || r.Y+r.H > p.Height {
		c.errf(r.Pos, "%s: map %s lies outside the plan (%gx%g)", ctx, fmt.Sprintf("{x: %g, y: %g, w: %g, h: %g}", r.X, r.Y, r.W, r.H), p.Width, p.Height)
	}
}
