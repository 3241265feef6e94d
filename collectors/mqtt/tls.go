package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"facmon/internal/site"
)

// tlsConfig builds the client TLS setup: a CA bundle to trust, and a
// client certificate when the broker asks for one.
func tlsConfig(t *site.TLS) (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // the site file's explicit choice
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt tls: ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt tls: ca_file %s: no PEM certificate in it", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt tls: cert_file %s / key_file %s: %w", t.CertFile, t.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// TLSConfig is the client TLS setup of the site file's mqtt.tls (nil if
// none), for other connections to the site's broker (alarms/uplink).
func TLSConfig(t *site.TLS) (*tls.Config, error) { return tlsConfig(t) }
