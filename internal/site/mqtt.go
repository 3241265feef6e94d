package site

// MQTT is the broker facmon subscribes to and publishes alarms on.
type MQTT struct {
	Pos `yaml:"-"`
	// URL is tcp://host:1883, ssl://host:8883 or ws://...; empty disables MQTT.
	URL      string `yaml:"url"`
	ClientID string `yaml:"client_id"`
	Username string `yaml:"username"`
	// PasswordFile holds the password; env FACMON_MQTT_PASSWORD overrides it.
	PasswordFile string `yaml:"password_file"`
	TLS          *TLS   `yaml:"tls,omitempty"`
	// Subscriptions map topics to devices and signals.
	Subscriptions []Subscription `yaml:"subscriptions,omitempty"`

	Password Secret `yaml:"-"`
}

// TLS is a client TLS setup.
type TLS struct {
	Pos                `yaml:"-"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Subscription maps a topic pattern to devices and signals. The pattern is
// an MQTT topic whose levels may be named parts: {device}, {area}, {signal}
// (estate/{area}/tank/{device}/level), or + and # wildcards.
type Subscription struct {
	Pos   `yaml:"-"`
	Topic string `yaml:"topic"`
	QoS   int    `yaml:"qos"`
	// Format is "json", "plain" (a number or boolean) or "influx" (line
	// protocol).
	Format string `yaml:"format"`
	// Device fixes the device when the topic has no {device} part.
	Device string `yaml:"device"`
	// Signal fixes the signal when the topic has no {signal} part and the
	// payload is plain.
	Signal string `yaml:"signal"`
	// Time is the JSON path of a device timestamp, if the payload has one.
	Time string `yaml:"time"`
}

// DeviceMQTT is per-device MQTT settings.
type DeviceMQTT struct {
	Pos `yaml:"-"`
	// Topic is a device-specific topic, when subscriptions do not cover it.
	Topic string `yaml:"topic"`
	// Format as in Subscription.
	Format string `yaml:"format"`
	// Timeout marks the device offline when nothing arrives for this long.
	Timeout Duration `yaml:"timeout"`
}

// SignalMQTT is where a signal lives in a payload.
type SignalMQTT struct {
	Pos `yaml:"-"`
	// Path is a JSON path into the payload object ("level", "data.level").
	Path string `yaml:"path"`
}
