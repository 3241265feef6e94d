package site

import (
	"errors"
	"io/fs"
	"log/slog"
	"strings"
)

// Environment variables that hold secrets; each overrides its *_file key.
const (
	EnvInfluxToken  = "FACMON_INFLUX_TOKEN"
	EnvMQTTPassword = "FACMON_MQTT_PASSWORD"
)

// GoString hides the secret from %#v.
func (Secret) GoString() string { return "<secret>" }

// LogValue hides the secret from log/slog.
func (Secret) LogValue() slog.Value { return slog.StringValue("<secret>") }

// Reveal returns the secret itself, for the one place that sends it (an
// HTTP header, an MQTT CONNECT).
func (s Secret) Reveal() string { return string(s) }

// readSecrets fills Influx.Token and MQTT.Password from the environment or
// the *_file keys. The messages name the key, never the secret.
func (c *checker) readSecrets(e env) {
	in, m := &c.site.Storage.Influx, &c.site.MQTT
	in.Token = c.readSecret(e, EnvInfluxToken, in, "token_file", in.TokenFile, in.Pos, "storage.influx")
	m.Password = c.readSecret(e, EnvMQTTPassword, m, "password_file", m.PasswordFile, m.Pos, "mqtt")
	c.readNotifySecrets(e)
}

// readSecret returns the secret from the environment variable if it is set,
// else from the file, else empty.
func (c *checker) readSecret(e env, envKey string, owner any, key, path string, start Pos, ctx string) Secret {
	if v, ok := e.getenv(envKey); ok && v != "" {
		return Secret(strings.TrimSpace(v))
	}
	if path == "" {
		return ""
	}
	b, err := e.readFile(resolvePath(c.file, path))
	p := c.at(owner, key, start)
	if err != nil {
		// The path itself stays out of the message: someone may have
		// pasted the secret into the *_file key.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		c.errf(p, "%s: %s: cannot read the file: %v (relative paths start at the site file's directory)", ctx, key, err)
		return ""
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		c.errf(p, "%s: %s: the file is empty", ctx, key)
	}
	return Secret(v)
}
