// Package devstatus merges the device status that each collector keeps
// (Modbus, MQTT) into one view of every device of the site, for
// /api/v1/devices and the console's devices panel.
package devstatus

import (
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"facmon/internal/site"
)

// Device is one device's status in the merged view.
type Device struct {
	ID       string     `json:"device"`
	Name     string     `json:"name"`
	Kind     string     `json:"kind"`
	Area     string     `json:"area"`
	Protocol string     `json:"protocol"`
	Status   string     `json:"status"` // online, offline, fault or unknown
	Since    *time.Time `json:"since,omitempty"`
	LastGood *time.Time `json:"last_good,omitempty"`
	// LastError stays after the device recovers, for the engineer.
	LastError string `json:"last_error,omitempty"`
}

// Source reports the status of the devices one collector owns.
type Source interface {
	Devices() []Device
}

// SourceFunc adapts a function to a Source.
type SourceFunc func() []Device

// Devices calls f.
func (f SourceFunc) Devices() []Device { return f() }

// View is the merged view. Sources can be replaced when the site is
// reloaded.
type View struct {
	mu      sync.RWMutex
	site    *site.Site
	sources []Source
}

// New returns an empty view.
func New() *View { return &View{} }

// Set replaces the site and its collectors' sources.
func (v *View) Set(s *site.Site, sources ...Source) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.site, v.sources = s, sources
}

// Devices returns every device of the site (not the self-check's built-in
// ones), sorted by id, with the status
// its collector reports, or "unknown" when no collector has seen it yet.
func (v *View) Devices() []Device {
	v.mu.RLock()
	defer v.mu.RUnlock()
	byID := map[string]Device{}
	for _, src := range v.sources {
		for _, d := range src.Devices() {
			byID[d.ID] = d
		}
	}
	var out []Device
	if v.site != nil {
		for _, sd := range v.site.Devices {
			if sd.Kind == site.SelfKind {
				continue // the self-check's built-in devices: their health shows as alarms
			}
			d, ok := byID[sd.ID]
			if !ok {
				d = Device{ID: sd.ID, Status: "unknown", Protocol: protocol(&sd)}
			}
			d.Name, d.Kind, d.Area = sd.Name, sd.Kind, sd.Area
			if d.Protocol == "" {
				d.Protocol = protocol(&sd)
			}
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func protocol(d *site.Device) string {
	switch {
	case d.Modbus != nil:
		return "modbus"
	case d.MQTT != nil:
		return "mqtt"
	}
	return "mqtt"
}

// Handler serves GET /api/v1/devices; ?status= filters.
func (v *View) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := r.URL.Query().Get("status")
		devs := v.Devices()
		out := devs[:0:0]
		for _, d := range devs {
			if want == "" || d.Status == want {
				out = append(out, d)
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"devices": out})
	})
}

// TimePtr returns &t, or nil for the zero time.
func TimePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
