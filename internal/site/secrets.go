package site

import (
	"errors"
	"io/fs"
	"log/slog"
	"os/user"
	"path/filepath"
	"strings"
)

// Environment variables that hold secrets; each overrides its *_file key.
const (
	EnvInfluxToken  = "FACMON_INFLUX_TOKEN"
	EnvMQTTPassword = "FACMON_MQTT_PASSWORD"
	// EnvMetricsToken overrides http.metrics_token_file.
	EnvMetricsToken = "FACMON_METRICS_TOKEN"
)

// MinKeyBytes is the shortest signing key or scrape token accepted: 32
// bytes, the output size of the HMAC-SHA256 that signs ack links.
const MinKeyBytes = 32

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
	h := &c.site.HTTP
	h.MetricsToken = c.readSecret(e, EnvMetricsToken, h, "metrics_token_file", h.MetricsTokenFile, h.Pos, "http")
	if n := len(h.MetricsToken); n > 0 && n < MinKeyBytes {
		c.errf(c.at(h, "metrics_token_file", h.Pos), "http: metrics_token_file: the token is %d bytes; at least %d (deploy/secrets/create.sh makes one)", n, MinKeyBytes)
	}
	c.readNotifySecrets(e)
	c.readCentreKey(e)
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
		c.errf(p, "%s: %s: cannot read the file: %v%s", ctx, key, err, readHint(path, err))
		return ""
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		c.errf(p, "%s: %s: the file is empty", ctx, key)
	}
	return Secret(v)
}

// readHint says what to change when a secret file cannot be read: who
// needs access on a permission error, where a relative path starts.
func readHint(path string, err error) string {
	var hint []string
	if errors.Is(err, fs.ErrPermission) {
		hint = append(hint, "facmon runs as "+whoAmI()+" here; the file and its directory must be readable by it: "+
			"group facmon, file 0640 root:facmon, directory 0750 root:facmon (docs/install.md §3)")
	}
	if !filepath.IsAbs(path) {
		hint = append(hint, "relative paths start at the site file's directory")
	}
	if len(hint) == 0 {
		return ""
	}
	return " (" + strings.Join(hint, "; ") + ")"
}

// whoAmI names the process's user and primary group: `user "facmon"
// (group "facmon")`.
func whoAmI() string {
	u, err := user.Current()
	if err != nil {
		return "this user"
	}
	g := u.Gid
	if grp, err := user.LookupGroupId(u.Gid); err == nil {
		g = grp.Name
	}
	return "user " + quote(u.Username) + " (group " + quote(g) + ")"
}
