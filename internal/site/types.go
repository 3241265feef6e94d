// Package site is the site file: the model of one community (its areas,
// devices, signals, storage, MQTT and HTTP settings), the strict YAML loader
// that reports every mistake as file:line: message, and the cross-reference
// checks. Every other part of facmon reads the community from here.
package site

import "time"

// Site is one community, as one site file describes it.
type Site struct {
	Pos      `yaml:"-"`
	ID       string   `yaml:"site"`
	Name     string   `yaml:"name"`
	Timezone string   `yaml:"timezone"`
	Areas    []Area   `yaml:"areas"`
	Devices  []Device `yaml:"devices"`
	Storage  Storage  `yaml:"storage"`
	MQTT     MQTT     `yaml:"mqtt"`
	Modbus   Modbus   `yaml:"modbus"`
	HTTP     HTTP     `yaml:"http"`
	Notify   Notify   `yaml:"notify"`
	// Plan is the coordinate space of the site map; Zones the alarm zones
	// (zones.go); Linkage switches linkage actions (zones.go).
	Plan    *Plan   `yaml:"plan,omitempty"`
	Zones   []Zone  `yaml:"zones,omitempty"`
	Linkage Linkage `yaml:"linkage"`
	// Centre links the site to a group monitoring centre (centre.go).
	Centre Centre `yaml:"centre"`
	// Report schedules the daily and weekly report (report.go).
	Report *Report `yaml:"report,omitempty"`
	// Rules are rule-file paths or globs, relative to the site file.
	Rules []string `yaml:"rules,omitempty"`

	// Location is Timezone loaded; set by the loader.
	Location *time.Location `yaml:"-"`
}

// Area is a part of the community (pump room, north wall, building 3).
type Area struct {
	Pos  `yaml:"-"`
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Map is the area's rectangle on the site plan, if drawn.
	Map *Rect `yaml:"map,omitempty"`
}

// Device is one piece of watched hardware.
type Device struct {
	Pos  `yaml:"-"`
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Kind is one of Kinds; it is the InfluxDB measurement.
	Kind   string            `yaml:"kind"`
	Area   string            `yaml:"area"`
	Labels map[string]string `yaml:"labels,omitempty"`
	// Modbus says how the device is polled; nil if it is not a Modbus device.
	Modbus *DeviceModbus `yaml:"modbus,omitempty"`
	// MQTT says which topics carry the device's data; nil if not MQTT.
	MQTT    *DeviceMQTT `yaml:"mqtt,omitempty"`
	Signals []Signal    `yaml:"signals"`
}

// SignalType says how a signal's values behave.
type SignalType string

// Signal types.
const (
	// Analog is a measured quantity (level, temperature, power).
	Analog SignalType = "analog"
	// Counter only grows, and may wrap (energy, water volume).
	Counter SignalType = "counter"
	// State is a discrete value: a contact, a running flag, an alarm code.
	State SignalType = "state"
)

// Signal is one value a device reports.
type Signal struct {
	Pos  `yaml:"-"`
	Name string `yaml:"name"`
	// Unit is required for analog and counter signals.
	Unit string     `yaml:"unit"`
	Type SignalType `yaml:"type"`
	// Scale and Offset turn the raw value into Unit: value = raw*Scale + Offset.
	// Scale defaults to 1.
	Scale  *float64 `yaml:"scale"`
	Offset float64  `yaml:"offset"`
	// States names the values of a state signal (0: normal, 1: alarm) and
	// maps the strings an MQTT payload may carry back to numbers.
	States map[int]string `yaml:"states,omitempty"`
	// Modbus is where the signal lives on a Modbus device.
	Modbus *Register `yaml:"modbus,omitempty"`
	// MQTT is where the signal lives in an MQTT payload.
	MQTT *SignalMQTT `yaml:"mqtt,omitempty"`
}

// Storage is where points go.
type Storage struct {
	Pos    `yaml:"-"`
	Influx Influx `yaml:"influx"`
	Spool  Spool  `yaml:"spool"`
}

// Influx is the InfluxDB the writer sends points to. Works with 2.x (org,
// bucket, token) and 1.8 (bucket "db/rp", token "user:pass" or empty).
type Influx struct {
	Pos `yaml:"-"`
	// URL empty means points stay in the spool (demo without InfluxDB).
	URL    string `yaml:"url"`
	Org    string `yaml:"org"`
	Bucket string `yaml:"bucket"`
	// TokenFile holds the token; env FACMON_INFLUX_TOKEN overrides it.
	TokenFile     string   `yaml:"token_file"`
	BatchSize     int      `yaml:"batch_size"`
	FlushInterval Duration `yaml:"flush_interval"`
	Timeout       Duration `yaml:"timeout"`
	Gzip          *bool    `yaml:"gzip"`

	// Token is read from TokenFile or the environment by the loader; never
	// printed.
	Token Secret `yaml:"-"`
}

// Spool is the durable on-disk log between collectors and InfluxDB.
type Spool struct {
	Pos `yaml:"-"`
	// Dir defaults to DATA_DIR/spool.
	Dir string `yaml:"dir"`
	// MaxBytes caps the spool; when full the oldest segment is dropped and
	// counted.
	MaxBytes     ByteSize `yaml:"max_bytes"`
	SegmentBytes ByteSize `yaml:"segment_bytes"`
	// SyncWindow is the group-commit window: appends within it share one fsync.
	SyncWindow Duration `yaml:"sync_window"`
}

// HTTP is the one listener for the console, API and metrics.
type HTTP struct {
	Pos    `yaml:"-"`
	Listen string `yaml:"listen"`
	// TLS serves the console and the API over HTTPS from certificate files.
	TLS *ServerTLS `yaml:"tls,omitempty"`
	// PublicMetrics leaves /metrics open without a login (default false:
	// it tells who reads it which alarms stand and which devices are
	// offline); /healthz and /readyz are always open.
	PublicMetrics *bool `yaml:"public_metrics"`
	// MetricsTokenFile holds a bearer token that may read /metrics and
	// nothing else (Prometheus' scrape credential); env
	// FACMON_METRICS_TOKEN overrides it.
	MetricsTokenFile string `yaml:"metrics_token_file"`
	// IdleLock locks a console session after this long without the
	// operator's presence (default 10m); alarms stay visible and audible.
	IdleLock *Duration `yaml:"idle_lock"`

	// MetricsToken is read by the loader from MetricsTokenFile or the
	// environment.
	MetricsToken Secret `yaml:"-"`
}

// ServerTLS names the listener's certificate and key (PEM files, paths
// relative to the site file).
type ServerTLS struct {
	Pos      `yaml:"-"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// MetricsOpen reports whether /metrics is served without a login.
func (h HTTP) MetricsOpen() bool { return h.PublicMetrics != nil && *h.PublicMetrics }

// Secret is a string that prints as <secret>.
type Secret string

// String hides the secret.
func (Secret) String() string { return "<secret>" }

// MarshalText hides the secret in any encoding.
func (Secret) MarshalText() ([]byte, error) { return []byte("<secret>"), nil }

// Duration is a time.Duration written as "500ms", "30s", "3m", "1h".
type Duration time.Duration

// ByteSize is a size written as "64MiB", "1GiB", "512KB" or a plain number
// of bytes.
type ByteSize int64
