package modbussim

import (
	"testing"

	"facmon/collectors/modbus/codec"
	"facmon/internal/site"
)

func TestStartSite(t *testing.T) {
	scale := 0.01
	s := &site.Site{
		Modbus: site.Modbus{Gateways: []site.Gateway{
			{ID: "plc", Transport: "tcp", Address: "10.9.9.9:502"},
			{ID: "meters", Transport: "rtu-over-tcp", Address: "10.9.9.9:503"},
			{ID: "line", Transport: "rtu", Address: "/dev/ttyUSB0"},
		}},
		Devices: []site.Device{
			{ID: "tank", Modbus: &site.DeviceModbus{Gateway: "plc", Unit: 1}, Signals: []site.Signal{
				{Name: "level", Scale: &scale, Offset: 1, Modbus: &site.Register{Table: "holding", Address: 0, Type: "uint16"}},
				{Name: "high", Modbus: &site.Register{Table: "discrete", Address: 0}},
			}},
			{ID: "meter", Modbus: &site.DeviceModbus{Gateway: "meters", Unit: 4}, Signals: []site.Signal{
				{Name: "energy", Modbus: &site.Register{Table: "input", Address: 10, Type: "float32", Order: "CDAB"}},
			}},
			{ID: "serial-meter", Modbus: &site.DeviceModbus{Gateway: "line", Unit: 2}, Signals: []site.Signal{
				{Name: "energy", Modbus: &site.Register{Table: "input", Address: 10, Type: "float32"}},
			}},
		},
	}
	st, err := StartSite(t.Context(), s, SiteOptions{Listen: func(site.Gateway) string { return "127.0.0.1:0" }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if len(st.Skipped) != 1 || st.Skipped[0] != "line" || st.Server("meters") == nil {
		t.Fatalf("skipped %v, meters served: %v", st.Skipped, st.Server("meters") != nil)
	}
	sets := []struct {
		device, signal string
		value          float64
		raw            codec.Field
		wantRaw        float64
	}{
		{"tank", "level", 3.5, codec.Field{Table: codec.Holding, Type: codec.Uint16, Bit: -1}, 250},
		{"tank", "high", 1, codec.Field{Table: codec.Discrete, Type: codec.Bool, Bit: -1}, 1},
		{"meter", "energy", 1234.5, codec.Field{Table: codec.Input, Address: 10, Type: codec.Float32, Order: codec.CDAB, Bit: -1}, 1234.5},
	}
	for _, c := range sets {
		t.Run(c.device+"/"+c.signal, func(t *testing.T) {
			if err := st.Set(c.device, c.signal, c.value); err != nil {
				t.Fatal(err)
			}
			gw := map[string]string{"tank": "plc", "meter": "meters"}[c.device]
			unit := map[string]uint8{"tank": 1, "meter": 4}[c.device]
			if raw, err := st.Server(gw).Value(unit, c.raw); err != nil || raw != c.wantRaw {
				t.Errorf("raw %v (%v), want %v", raw, err, c.wantRaw)
			}
			if got, err := st.Get(c.device, c.signal); err != nil || got != c.value {
				t.Errorf("Get = %v (%v), want %v", got, err, c.value)
			}
		})
	}
	if err := st.Set("serial-meter", "energy", 1); err == nil {
		t.Error("Set on a skipped serial gateway succeeded")
	}
	if err := st.SetFault("tank", Fault{Kind: Silent}); err != nil || st.Server("plc").fault(1).Kind != Silent {
		t.Errorf("SetFault: %v", err)
	}
}
