package influx

import "facmon/internal/site"

// NamesOf returns the names of a site's devices and their areas, for
// Options.Names.
func NamesOf(s *site.Site) map[string]DeviceNames {
	areas := make(map[string]string, len(s.Areas))
	for _, a := range s.Areas {
		areas[a.ID] = a.Name
	}
	out := make(map[string]DeviceNames, len(s.Devices))
	for _, d := range s.Devices {
		out[d.ID] = DeviceNames{Name: d.Name, AreaName: areas[d.Area]}
	}
	return out
}
