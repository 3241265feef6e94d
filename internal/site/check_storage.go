package site

import (
	"net"
	"path/filepath"
)

// checkStorage checks the InfluxDB writer and the spool.
func (c *checker) checkStorage() {
	in := &c.site.Storage.Influx
	const ctx = "storage.influx"
	if in.URL != "" {
		c.checkURL(in, "url", in.URL, in.Pos, ctx, []string{"http", "https"})
		if in.Bucket == "" {
			c.errf(in.Pos, "%s: bucket missing (2.x: a bucket name; 1.8: db/rp)", ctx)
		}
	}
	c.checkPositive(in, "batch_size", int64(in.BatchSize), in.Pos, ctx)
	c.checkPositive(in, "flush_interval", int64(in.FlushInterval), in.Pos, ctx)
	c.checkPositive(in, "timeout", int64(in.Timeout), in.Pos, ctx)

	sp := &c.site.Storage.Spool
	const sctx = "storage.spool"
	c.checkPositive(sp, "max_bytes", int64(sp.MaxBytes), sp.Pos, sctx)
	c.checkPositive(sp, "segment_bytes", int64(sp.SegmentBytes), sp.Pos, sctx)
	maxB, segB := sp.MaxBytes, sp.SegmentBytes
	if !c.has(sp, "max_bytes") {
		maxB = DefaultSpoolMaxBytes
	}
	if !c.has(sp, "segment_bytes") {
		segB = DefaultSpoolSegmentBytes
	}
	if maxB > 0 && segB > maxB {
		c.errf(c.at(sp, "segment_bytes", sp.Pos), "%s: segment_bytes %s larger than max_bytes %s", sctx, segB, maxB)
	}
}

// checkHTTP checks the listen address, the idle lock and the TLS files.
func (c *checker) checkHTTP() {
	h := &c.site.HTTP
	if h.Listen == "" {
		return
	}
	if _, _, err := net.SplitHostPort(h.Listen); err != nil {
		c.errf(c.at(h, "listen", h.Pos), "http: listen %s is not host:port (like 127.0.0.1:8080)", quote(h.Listen))
	}
	if h.IdleLock != nil && *h.IdleLock < 0 {
		c.errf(c.at(h, "idle_lock", h.Pos), "http: idle_lock must not be negative")
	}
	if t := h.TLS; t != nil {
		for key, v := range map[string]string{"cert_file": t.CertFile, "key_file": t.KeyFile} {
			if v == "" && c.unreported(t, key) {
				c.errf(c.at(t, key, t.Pos), "http.tls: %s is required (a PEM file)", key)
			}
		}
	}
}

// checkRules checks that rule globs are well formed.
func (c *checker) checkRules() {
	s := c.site
	for _, r := range s.Rules {
		if _, err := filepath.Match(r, ""); err != nil || r == "" {
			c.errf(c.at(s, "rules", s.Pos), "rules: pattern %s malformed", quote(r))
		}
	}
}
