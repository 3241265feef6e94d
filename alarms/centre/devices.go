package centre

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"facmon/alarms/sse"
	"facmon/collectors"
	"facmon/collectors/mqtt"
)

// StatusFilter is the subscription to every site's device status
// (facmon/<site>/status/<device>, retained, published by the site on each
// change). It is not shared: device status is state, not a stream with a
// sequence number the centre could fill gaps by, so each centre process
// needs every change, and the broker hands each subscriber the retained
// current status of every device when it subscribes (after a restart or a
// reconnect). Status changes are rare beside transitions; what the shared
// subscription saves on transitions it would cost here in missed state.
const StatusFilter = "facmon/+/status/+"

// Device is one device's status as its site last published it.
type Device struct {
	Site   string `json:"site"`
	Device string `json:"device"`
	// Name and Kind are the device's as its site file writes them (empty
	// from a site that does not send them).
	Name string `json:"name,omitempty"`
	Kind string `json:"kind,omitempty"`
	// Area is the site id, so that the console at the centre (whose map
	// areas are the sites) places the device under its site's name.
	Area string `json:"area"`
	// Status is online, offline or fault.
	Status string `json:"status"`
	// Since is the site's time of the change.
	Since time.Time `json:"since"`
	// LastError is the site's last error for the device, if it sent one.
	LastError string `json:"last_error,omitempty"`
}

// statusMsg is a device status from the broker; gone is an empty
// (retained-clearing) message: the site no longer has the device.
type statusMsg struct {
	device string
	msg    mqtt.StatusMessage
	gone   bool
}

// deviceTable is every site's device status. Run writes it; the HTTP
// handlers read it.
type deviceTable struct {
	mu    sync.RWMutex
	sites map[string]map[string]Device
}

func newDeviceTable() *deviceTable { return &deviceTable{sites: map[string]map[string]Device{}} }

// set records a status; it reports whether anything changed. A message
// older than what is recorded (the retained copy of a status already
// superseded) changes nothing.
func (t *deviceTable) set(site string, m *statusMsg) (Device, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	devs := t.sites[site]
	if devs == nil {
		devs = map[string]Device{}
		t.sites[site] = devs
	}
	old, had := devs[m.device]
	if m.gone {
		delete(devs, m.device)
		return old, had
	}
	d := Device{Site: site, Device: m.device, Name: m.msg.Name, Kind: m.msg.Kind, Area: site, Status: m.msg.Status, Since: m.msg.Time, LastError: m.msg.Error}
	if had && (d.Since.Before(old.Since) || (d.Status == old.Status && d.Since.Equal(old.Since) && d.LastError == old.LastError && d.Name == old.Name)) {
		return old, false
	}
	devs[m.device] = d
	return d, true
}

// counts returns how many devices of site are known, offline and faulty.
func (t *deviceTable) counts(site string) (known, offline, fault int) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, d := range t.sites[site] {
		known++
		switch d.Status {
		case collectors.Offline.String():
			offline++
		case collectors.Fault.String():
			fault++
		}
	}
	return known, offline, fault
}

// list returns the devices of site (every site if site is ""), by site
// and device.
func (t *deviceTable) list(site string) []Device {
	t.mu.RLock()
	out := []Device{}
	for id, devs := range t.sites {
		if site != "" && id != site {
			continue
		}
		for _, d := range devs {
			out = append(out, d)
		}
	}
	t.mu.RUnlock()
	slices.SortFunc(out, func(a, b Device) int {
		if c := strings.Compare(a.Site, b.Site); c != 0 {
			return c
		}
		return strings.Compare(a.Device, b.Device)
	})
	return out
}

// decodeStatus reads a device-status message of site on the topic's
// device. The status must be one a site publishes.
func decodeStatus(site, device string, payload []byte) (*statusMsg, bool) {
	if device == "" {
		return nil, false
	}
	if len(payload) == 0 {
		return &statusMsg{device: device, gone: true}, true
	}
	var m mqtt.StatusMessage
	if json.Unmarshal(payload, &m) != nil || (m.Site != "" && m.Site != site) || (m.Device != "" && m.Device != device) {
		return nil, false
	}
	switch m.Status {
	case collectors.Online.String(), collectors.Offline.String(), collectors.Fault.String():
	default:
		return nil, false
	}
	return &statusMsg{device: device, msg: m}, true
}

// deviceStatus applies a device status from the broker: the table, the
// console's event stream ("device" events, as at a site).
func (c *Centre) deviceStatus(s *siteState, m *statusMsg) {
	d, changed := c.devices.set(s.cfg.ID, m)
	if !changed {
		return
	}
	c.m.deviceStatus.Inc()
	if m.gone {
		return
	}
	c.hub.Device(sse.DeviceEvent{Site: d.Site, Area: d.Area, Kind: d.Kind, Device: d.Device, Name: d.Name, Status: d.Status, Time: d.Since, Error: d.LastError})
}

// Devices returns the device status of site ("" for every site).
func (c *Centre) Devices(site string) []Device { return c.devices.list(site) }

// serveDevices serves GET /api/v1/devices at the centre: every site's
// devices (the console's devices tab), ?site= and ?status= filter.
func (c *Centre) serveDevices(w http.ResponseWriter, r *http.Request) {
	want := r.URL.Query().Get("status")
	out := []Device{}
	for _, d := range c.devices.list(r.URL.Query().Get("site")) {
		if want == "" || d.Status == want {
			out = append(out, d)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"devices": out})
}
