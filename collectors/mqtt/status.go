package mqtt

import (
	"sort"
	"sync"
	"time"

	"facmon/collectors"
)

// DeviceState is one MQTT device's status as the collector sees it.
type DeviceState struct {
	Device string                  `json:"device"`
	Status collectors.DeviceStatus `json:"-"`
	// StatusName is Status as text, for JSON.
	StatusName string `json:"status"`
	// Known is false until the device has sent a message or timed out.
	Known bool `json:"known"`
	// Since is when the status last changed.
	Since time.Time `json:"since"`
	// LastSeen is when the last message arrived; LastGood the last message
	// that decoded without error.
	LastSeen  time.Time `json:"last_seen"`
	LastGood  time.Time `json:"last_good"`
	LastError string    `json:"last_error,omitempty"`
}

// deviceTrack is the mutable status of one device.
type deviceTrack struct {
	DeviceState
	info    *deviceInfo
	timeout time.Duration
}

// statusTable follows every MQTT device's status: online on a good
// message, fault on a message that could not be decoded, offline when
// nothing arrives within the device's timeout. Times come from the caller
// (the injected clock), so tests control them.
type statusTable struct {
	site string
	mu   sync.Mutex
	devs map[string]*deviceTrack
}

// newStatusTable tracks the devices that have MQTT settings, from start.
func newStatusTable(m *mapping, mqttDevices map[string]bool, defTimeout time.Duration, start time.Time) *statusTable {
	st := &statusTable{site: m.site, devs: make(map[string]*deviceTrack)}
	for id, di := range m.devices {
		if mqttDevices[id] {
			st.devs[id] = st.newTrack(di, defTimeout, start)
		}
	}
	return st
}

func (st *statusTable) newTrack(di *deviceInfo, defTimeout time.Duration, now time.Time) *deviceTrack {
	t := &deviceTrack{info: di, timeout: di.timeout}
	if t.timeout <= 0 {
		t.timeout = defTimeout
	}
	t.Device, t.LastSeen, t.Since = di.id, now, now
	return t
}

// seen records a message from the device (errMsg empty when it decoded
// cleanly) and returns a status point when the status changed.
func (st *statusTable) seen(di *deviceInfo, now time.Time, errMsg string, defTimeout time.Duration) (collectors.Point, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	t, ok := st.devs[di.id]
	if !ok {
		t = st.newTrack(di, defTimeout, now)
		st.devs[di.id] = t
	}
	t.LastSeen = now
	next := collectors.Online
	if errMsg != "" {
		next, t.LastError = collectors.Fault, errMsg
	} else {
		t.LastGood = now
	}
	return st.change(t, next, now)
}

// expire marks offline every device silent for longer than its timeout
// and returns their status points.
func (st *statusTable) expire(now time.Time, out []collectors.Point) []collectors.Point {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, t := range st.devs {
		if t.timeout <= 0 || now.Sub(t.LastSeen) < t.timeout {
			continue
		}
		if p, ok := st.change(t, collectors.Offline, now); ok {
			out = append(out, p)
		}
	}
	return out
}

// change moves a device to status s; it reports a point only on change.
func (st *statusTable) change(t *deviceTrack, s collectors.DeviceStatus, now time.Time) (collectors.Point, bool) {
	if t.Known && t.Status == s {
		return collectors.Point{}, false
	}
	t.Known, t.Status, t.Since = true, s, now
	q := collectors.Good
	if s != collectors.Online {
		q = collectors.Bad
	}
	return collectors.Point{Site: st.site, Area: t.info.area, Kind: t.info.kind, Device: t.info.id,
		Signal: collectors.StatusSignal, Value: float64(s), Quality: q, Time: now}, true
}

// snapshot copies every device's state, sorted by device.
func (st *statusTable) snapshot() []DeviceState {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]DeviceState, 0, len(st.devs))
	for _, t := range st.devs {
		s := t.DeviceState
		s.StatusName = s.Status.String()
		if !s.Known {
			s.StatusName = "unknown"
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Device < out[j].Device })
	return out
}

// minTimeout is the shortest device timeout, which paces expiry checks.
func (st *statusTable) minTimeout() time.Duration {
	st.mu.Lock()
	defer st.mu.Unlock()
	var m time.Duration
	for _, t := range st.devs {
		if t.timeout > 0 && (m == 0 || t.timeout < m) {
			m = t.timeout
		}
	}
	return m
}
