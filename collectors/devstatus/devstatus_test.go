package devstatus

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"facmon/internal/site"
)

func TestMergedViewCoversEveryDevice(t *testing.T) {
	s := &site.Site{Devices: []site.Device{
		{ID: "tank-1", Name: "水箱", Kind: "water_tank", Area: "pump-room", Modbus: &site.DeviceModbus{}},
		{ID: "zone-1", Name: "<b>zone</b>", Kind: "perimeter_zone", Area: "north-wall"},
	}}
	v := New()
	v.Set(s, SourceFunc(func() []Device { return []Device{{ID: "tank-1", Status: "offline", LastError: "timeout"}} }))
	got := v.Devices()
	if len(got) != 2 {
		t.Fatalf("got %d devices, want 2", len(got))
	}
	if got[0].ID != "tank-1" || got[0].Status != "offline" || got[0].Kind != "water_tank" || got[0].Protocol != "modbus" {
		t.Fatalf("tank-1 = %+v", got[0])
	}
	if got[1].Status != "unknown" || got[1].Protocol != "mqtt" {
		t.Fatalf("zone-1 = %+v", got[1])
	}
	rec := httptest.NewRecorder()
	v.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/devices?status=offline", nil))
	var body struct{ Devices []Device }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Devices) != 1 || body.Devices[0].ID != "tank-1" {
		t.Fatalf("filtered = %s (%v)", rec.Body.String(), err)
	}
}
