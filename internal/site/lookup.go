package site

import (
	"go.yaml.in/yaml/v3"
)

// Device returns the device with the id.
func (s *Site) Device(id string) (*Device, bool) {
	for i := range s.Devices {
		if s.Devices[i].ID == id {
			return &s.Devices[i], true
		}
	}
	return nil, false
}

// Area returns the area with the id.
func (s *Site) Area(id string) (*Area, bool) {
	for i := range s.Areas {
		if s.Areas[i].ID == id {
			return &s.Areas[i], true
		}
	}
	return nil, false
}

// Gateway returns the Modbus gateway with the id.
func (s *Site) Gateway(id string) (*Gateway, bool) {
	for i := range s.Modbus.Gateways {
		if s.Modbus.Gateways[i].ID == id {
			return &s.Modbus.Gateways[i], true
		}
	}
	return nil, false
}

// DevicesIn returns the devices of an area, in file order.
func (s *Site) DevicesIn(area string) []*Device {
	var out []*Device
	for i := range s.Devices {
		if s.Devices[i].Area == area {
			out = append(out, &s.Devices[i])
		}
	}
	return out
}

// Signal returns the device's signal with the name.
func (d *Device) Signal(name string) (*Signal, bool) {
	for i := range d.Signals {
		if d.Signals[i].Name == name {
			return &d.Signals[i], true
		}
	}
	return nil, false
}

// Apply returns the signal's value in its unit from a raw reading:
// raw*Scale + Offset (Scale 1 when unset).
func (sg *Signal) Apply(raw float64) float64 {
	scale := 1.0
	if sg.Scale != nil {
		scale = *sg.Scale
	}
	return raw*scale + sg.Offset
}

// Redacted returns the effective configuration as YAML, defaults filled
// in, with every secret shown as <secret>.
func (s *Site) Redacted() ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(s); err != nil {
		return nil, err
	}
	if s.Storage.Influx.Token != "" {
		addSecret(&n, "token", "storage", "influx")
	}
	if s.MQTT.Password != "" {
		addSecret(&n, "password", "mqtt")
	}
	return yaml.Marshal(&n)
}

// addSecret adds `key: <secret>` to the mapping found at path.
func addSecret(n *yaml.Node, key string, path ...string) {
	for _, p := range path {
		n = mappingValue(n, p)
		if n == nil {
			return
		}
	}
	n.Content = append(n.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Value: Secret("").String()})
}

// mappingValue returns the value of key in mapping n, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
