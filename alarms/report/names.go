package report

import "facmon/internal/site"

// names are what the site file calls its ids.
type names struct {
	devices, areas, zones map[string]string
}

func namesOf(s *site.Site) names {
	n := names{devices: map[string]string{}, areas: map[string]string{}, zones: map[string]string{}}
	for _, d := range s.Devices {
		n.devices[d.ID] = d.Name
	}
	for _, a := range s.Areas {
		n.areas[a.ID] = a.Name
	}
	for _, z := range s.Zones {
		n.zones[z.ID] = z.Name
	}
	return n
}

// name is m[id], or id when the site file has no name for it.
func name(m map[string]string, id string) string {
	if v := m[id]; v != "" {
		return v
	}
	return id
}

func (n names) device(id string) string { return name(n.devices, id) }
func (n names) area(id string) string   { return name(n.areas, id) }
func (n names) zone(id string) string   { return name(n.zones, id) }
