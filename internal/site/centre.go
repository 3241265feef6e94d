package site

import "time"

// Centre links the site to a group monitoring centre (facmon centre,
// docs/centre.md): the site publishes a retained heartbeat with a
// last-will on facmon/<site>/heartbeat and takes signed acknowledgements
// from facmon/<site>/command/ack. Without a key_file the site has no
// centre link.
type Centre struct {
	Pos `yaml:"-"`
	// KeyFile holds the HMAC-SHA256 key the centre signs commands for
	// this site with (at least MinKeyBytes); env FACMON_CENTRE_KEY
	// overrides it.
	KeyFile string `yaml:"key_file"`
	// Heartbeat is how often the heartbeat is published (DefaultHeartbeat).
	Heartbeat Duration `yaml:"heartbeat"`
	// CommandWindow is how far a command's time may be from the site's
	// clock (DefaultCommandWindow): older ones are refused as replays.
	CommandWindow Duration `yaml:"command_window"`

	// Key is read by the loader from KeyFile or FACMON_CENTRE_KEY.
	Key Secret `yaml:"-"`
}

// Defaults and the environment variable of the centre section.
const (
	DefaultHeartbeat     = Duration(5 * time.Second)
	DefaultCommandWindow = Duration(5 * time.Minute)
	EnvCentreKey         = "FACMON_CENTRE_KEY"
)

// Enabled reports whether the site is linked to a centre.
func (c *Centre) Enabled() bool { return c.Key != "" }

// checkCentre checks the centre section and fills its defaults.
func (c *checker) checkCentre() {
	ce := &c.site.Centre
	if ce.Heartbeat == 0 {
		ce.Heartbeat = DefaultHeartbeat
	}
	if ce.CommandWindow == 0 {
		ce.CommandWindow = DefaultCommandWindow
	}
	if ce.Heartbeat < Duration(time.Second) {
		c.errf(c.at(ce, "heartbeat", ce.Pos), "centre: heartbeat %s: at least 1s", time.Duration(ce.Heartbeat))
	}
	if ce.CommandWindow < Duration(10*time.Second) {
		c.errf(c.at(ce, "command_window", ce.Pos), "centre: command_window %s: at least 10s", time.Duration(ce.CommandWindow))
	}
	if ce.KeyFile != "" && c.site.MQTT.URL == "" {
		c.errf(c.at(ce, "key_file", ce.Pos), "centre: the centre link needs mqtt.url (heartbeats and commands go through the site's broker)")
	}
}

// readCentreKey reads the centre's signing key.
func (c *checker) readCentreKey(e env) {
	ce := &c.site.Centre
	ce.Key = c.readSecret(e, EnvCentreKey, ce, "key_file", ce.KeyFile, ce.Pos, "centre")
	if k := len(ce.Key); k > 0 && k < MinKeyBytes {
		c.errf(c.at(ce, "key_file", ce.Pos), "centre: key_file: the centre's command key is %d bytes; at least %d, or anyone can forge acknowledgements (make one: head -c 32 /dev/urandom | base64 > centre.key)", k, MinKeyBytes)
	}
}
