package site

// Modbus holds the site's Modbus gateways and serial lines. Devices behind
// one gateway are polled one at a time; different gateways concurrently.
type Modbus struct {
	Pos      `yaml:"-"`
	Gateways []Gateway `yaml:"gateways"`
}

// Gateway is one Modbus connection: a TCP device or gateway, an RTU serial
// line, or RTU frames over TCP (serial-to-Ethernet converters).
type Gateway struct {
	Pos `yaml:"-"`
	ID  string `yaml:"id"`
	// Transport is "tcp", "rtu" or "rtu-over-tcp".
	Transport string `yaml:"transport"`
	// Address is host:port for tcp transports, a device path for rtu.
	Address  string `yaml:"address"`
	BaudRate int    `yaml:"baud_rate"`
	DataBits int    `yaml:"data_bits"`
	// Parity is "N", "E" or "O".
	Parity   string   `yaml:"parity"`
	StopBits int      `yaml:"stop_bits"`
	Timeout  Duration `yaml:"timeout"`
	// MaxGap is how many unused registers (or bits) a request may span to
	// merge two ranges into one read.
	MaxGap *int `yaml:"max_gap,omitempty"`
}

// DeviceModbus says how one device is polled.
type DeviceModbus struct {
	Pos      `yaml:"-"`
	Gateway  string   `yaml:"gateway"`
	Unit     int      `yaml:"unit"`
	Interval Duration `yaml:"interval"`
	Timeout  Duration `yaml:"timeout"`
	Retries  int      `yaml:"retries"`
	// OfflineAfter consecutive failed polls mark the device offline.
	OfflineAfter int `yaml:"offline_after"`
}

// Register is where a signal lives on a Modbus device.
type Register struct {
	Pos `yaml:"-"`
	// Table is "coil", "discrete", "holding" or "input".
	Table   string `yaml:"table"`
	Address int    `yaml:"address"`
	// Type is bool, int16, uint16, int32, uint32, int64, uint64, float32 or
	// float64; bool in a register table needs Bit.
	Type string `yaml:"type"`
	// Order is the word and byte order of multi-register values: ABCD
	// (default), CDAB, BADC or DCBA.
	Order string `yaml:"order"`
	// Bit selects bit n (0 = least significant) of a 16-bit register.
	Bit *int `yaml:"bit,omitempty"`
}
