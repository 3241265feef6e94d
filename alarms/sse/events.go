package sse

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"facmon/alarms"
	"facmon/collectors"
)

var _ alarms.Output = (*Hub)(nil)

// Event types on the stream.
const (
	// TypeAlarm carries an alarms.Transition.
	TypeAlarm = "alarm"
	// TypeDevice carries a DeviceEvent.
	TypeDevice = "device"
	// TypePing is the heartbeat; it has no id and is not stored.
	TypePing = "ping"
	// TypeReset tells the client that events it missed are gone: reload
	// the alarm list and device status, then follow the stream.
	TypeReset = "reset"
)

// DeviceEvent is a device's status change, the data of a "device" event.
type DeviceEvent struct {
	Site   string `json:"site"`
	Area   string `json:"area,omitempty"`
	Kind   string `json:"kind,omitempty"`
	Device string `json:"device"`
	// Name is the device's name where the sender knows it (the centre).
	Name string `json:"name,omitempty"`
	// Status is online, offline or fault.
	Status string    `json:"status"`
	Time   time.Time `json:"time"`
	Error  string    `json:"error,omitempty"`
}

// Transitions publishes each transition as an "alarm" event. It never
// blocks on clients and never fails.
func (h *Hub) Transitions(_ context.Context, ts []alarms.Transition) error {
	for i := range ts {
		h.publishJSON(TypeAlarm, wireTransition{&ts[i], finite(ts[i].Value)})
	}
	return nil
}

// wireTransition writes a transition with a non-finite value (a float
// register can read NaN) as null, which JSON can carry.
type wireTransition struct {
	*alarms.Transition
	Value *float64 `json:"value"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// Device publishes a device-status change as a "device" event.
func (h *Hub) Device(ev DeviceEvent) { h.publishJSON(TypeDevice, &ev) }

// StatusSink is a collectors.Sink (for the fan-out) that publishes every
// device-status point (Signal "_status") as a "device" event and ignores
// other points.
func (h *Hub) StatusSink() collectors.Sink {
	return collectors.SinkFunc(func(_ context.Context, batch []collectors.Point) error {
		for _, p := range batch {
			if p.Signal == collectors.StatusSignal {
				h.Device(DeviceEvent{Site: p.Site, Area: p.Area, Kind: p.Kind, Device: p.Device,
					Status: collectors.DeviceStatus(p.Value).String(), Time: p.Time})
			}
		}
		return nil
	})
}

func (h *Hub) publishJSON(typ string, v any) {
	data, err := json.Marshal(v)
	if err != nil { // cannot happen with the types above; say so and go on
		h.log.Error("event not encoded", "type", typ, "err", err)
		return
	}
	h.publish(typ, data)
}

// frame encodes one event. JSON data has no raw line breaks, so one data
// line carries it.
func frame(id uint64, typ string, data []byte) []byte {
	b := make([]byte, 0, len(data)+48)
	if id != 0 {
		b = append(b, "id: "...)
		b = strconv.AppendUint(b, id, 10)
		b = append(b, '\n')
	}
	b = append(b, "event: "...)
	b = append(b, typ...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, '\n', '\n')
}

// resetFrame carries the newest id, so that the client's Last-Event-ID
// moves past the gap and its next reconnect resumes from here.
func resetFrame(newest, asked uint64) []byte {
	data, _ := json.Marshal(struct {
		Reason string `json:"reason"`
		Asked  uint64 `json:"last_event_id"`
	}{"events since last_event_id are no longer kept; reload the alarm list", asked})
	return frame(newest, TypeReset, data)
}

func pingFrame(now time.Time) []byte {
	data, _ := json.Marshal(struct {
		Time time.Time `json:"time"`
	}{now.UTC()})
	return frame(0, TypePing, data)
}
