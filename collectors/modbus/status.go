package modbus

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"facmon/collectors"
)

// DeviceState is one device's health, for /api/v1/devices.
type DeviceState struct {
	Device  string
	Kind    string
	Area    string
	Gateway string
	// Polled is false until the device's first poll has ended; Status
	// means nothing before.
	Polled bool
	Status collectors.DeviceStatus
	// LastError is the last failure's message and LastErrorKind its
	// metrics kind; both stay after the device recovers.
	LastError     string
	LastErrorKind string
	// LastErr is the last failure itself, for errors.Is and errors.As
	// (ErrTimeout, ExceptionError, ...).
	LastErr error
	// LastGood is when the device last answered a whole poll.
	LastGood time.Time
	// Failures counts consecutive failed polls.
	Failures int
}

// MarshalJSON writes the state with the status by name ("unknown" before
// the first poll).
func (s DeviceState) MarshalJSON() ([]byte, error) {
	status := "unknown"
	if s.Polled {
		status = s.Status.String()
	}
	var lastGood *time.Time
	if !s.LastGood.IsZero() {
		lastGood = &s.LastGood
	}
	return json.Marshal(struct {
		Device        string     `json:"device"`
		Kind          string     `json:"kind,omitempty"`
		Area          string     `json:"area,omitempty"`
		Gateway       string     `json:"gateway"`
		Status        string     `json:"status"`
		LastError     string     `json:"last_error,omitempty"`
		LastErrorKind string     `json:"last_error_kind,omitempty"`
		LastGood      *time.Time `json:"last_good,omitempty"`
		Failures      int        `json:"consecutive_failures"`
	}{s.Device, s.Kind, s.Area, s.Gateway, status, s.LastError, s.LastErrorKind, lastGood, s.Failures})
}

// Status returns every Modbus device's state, sorted by device id.
func (c *Collector) Status() []DeviceState {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]DeviceState, 0, len(c.status))
	for _, s := range c.status {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b DeviceState) int { return strings.Compare(a.Device, b.Device) })
	return out
}

// markGood records a good poll at t and reports whether the status changed.
func (c *Collector) markGood(d *device, t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.status[d.id]
	changed := !s.Polled || s.Status != collectors.Online
	s.Polled, s.Status, s.Failures, s.LastGood = true, collectors.Online, 0, t
	return changed
}

// markFailed records a failed poll and reports the status and whether it
// changed: offline after offlineAfter failures in a row, faulty at once
// when the device's bytes made the decoder panic.
func (c *Collector) markFailed(d *device, err error) (collectors.DeviceStatus, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.status[d.id]
	s.Failures++
	s.LastError, s.LastErrorKind, s.LastErr = err.Error(), Kind(err), err
	next, decided := s.Status, s.Polled
	switch {
	case s.LastErrorKind == "panic":
		next, decided = collectors.Fault, true
	case s.Failures >= d.offlineAfter:
		next, decided = collectors.Offline, true
	}
	if !decided {
		return s.Status, false
	}
	changed := !s.Polled || s.Status != next
	s.Polled, s.Status = true, next
	return next, changed
}

// noteError records a failed attempt that will be retried.
func (c *Collector) noteError(d *device, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.status[d.id]
	s.LastError, s.LastErrorKind, s.LastErr = err.Error(), Kind(err), err
}
