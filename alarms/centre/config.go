package centre

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"facmon/internal/site"
	"facmon/internal/yamlpos"
)

// Config is centre.yaml, decoded strictly (docs/centre.md has the
// annotated example).
type Config struct {
	Pos `yaml:"-"`
	// Name is the centre's display name.
	Name string `yaml:"name"`
	// Timezone is the zone the console shows times in.
	Timezone string `yaml:"timezone"`
	// Listen is the console's and API's address.
	Listen string `yaml:"listen"`
	// Broker is the central MQTT broker every site is bridged to.
	Broker Broker `yaml:"broker"`
	// OfflineAfter is how long a site's heartbeat may be silent before
	// the site-offline alarm (DefaultOfflineAfter); a site may set its own.
	OfflineAfter site.Duration `yaml:"offline_after"`
	// GapTimeout is how long a gap may stay unfilled (the site's API not
	// answering) before the transitions after it are shown anyway and the
	// gap is journaled (DefaultGapTimeout).
	GapTimeout site.Duration `yaml:"gap_timeout"`
	// Influx is the central InfluxDB the centre writes the group's view
	// to (measurement site_status); nothing is written without it.
	Influx *Influx `yaml:"influx"`
	// Sites are the communities the centre watches.
	Sites []Site `yaml:"sites"`
	// NotifySection is the `notify:` section as written: where the
	// centre's own alarms (site-offline) go, in the shape of a site
	// file's notify section (docs/site-file.md) — typically one
	// alertmanager receiver whose urls list every member of the cluster.
	NotifySection rawNode `yaml:"notify"`

	// Location is Timezone loaded.
	Location *time.Location `yaml:"-"`
	// Notify is the notify section checked by the site file's own
	// checker (site.ParseNotify); nil when centre.yaml has none.
	Notify *site.Notify `yaml:"-"`
}

// rawNode keeps a section's YAML for a checker of its own.
type rawNode struct{ node *yaml.Node }

// UnmarshalYAML keeps n.
func (r *rawNode) UnmarshalYAML(n *yaml.Node) error {
	r.node = n
	return nil
}

// Pos is where a value was written.
type Pos = yamlpos.Pos

// Broker is the central broker.
type Broker struct {
	Pos          `yaml:"-"`
	URL          string    `yaml:"url"`
	ClientID     string    `yaml:"client_id"`
	Username     string    `yaml:"username"`
	PasswordFile string    `yaml:"password_file"`
	TLS          *site.TLS `yaml:"tls,omitempty"`

	Password site.Secret `yaml:"-"`
}

// Influx is where the centre writes each site's status: through a spool
// of its own (collectors/spool, collectors/influx), so that an InfluxDB
// outage loses nothing.
type Influx struct {
	Pos `yaml:"-"`
	// URL of InfluxDB (http:// or https://).
	URL    string `yaml:"url"`
	Org    string `yaml:"org"`    // 2.x organisation; empty for 1.8
	Bucket string `yaml:"bucket"` // 2.x bucket, or "db/rp" for 1.8
	// TokenFile holds the 2.x token, or "user:pass" for 1.8 (none: no
	// authentication).
	TokenFile string `yaml:"token_file"`
	// Interval is how often every site's status is written even when
	// nothing changed (DefaultStatusEvery); a change is written within a
	// second.
	Interval site.Duration `yaml:"interval"`
	// Spool is the spool's directory (DATA_DIR/spool if empty) and cap.
	Spool site.Spool `yaml:"spool"`

	Token site.Secret `yaml:"-"`
}

// Site is one community as the centre knows it.
type Site struct {
	Pos  `yaml:"-"`
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Group is the region or company branch the site's tile sits under
	// on the group map.
	Group string `yaml:"group"`
	// URL is the site's facmon (https://…): gaps are fetched from its
	// /api/v1/alarms/history?after_seq=.
	URL string `yaml:"url"`
	// TokenFile holds the bearer token of the site's facmon (facmon token
	// create --user centre-fetch on the site).
	TokenFile string `yaml:"token_file"`
	// KeyFile holds the key shared with the site (its centre.key_file):
	// acknowledgements are signed with it.
	KeyFile string `yaml:"key_file"`
	// CAFile is the CA that signed the site's HTTPS certificate, if not a
	// public one.
	CAFile string `yaml:"ca_file"`
	// OfflineAfter overrides the centre's.
	OfflineAfter site.Duration `yaml:"offline_after"`

	Token site.Secret `yaml:"-"`
	Key   site.Secret `yaml:"-"`
}

// Defaults.
const (
	DefaultListen       = "127.0.0.1:8090"
	DefaultOfflineAfter = site.Duration(30 * time.Second)
	DefaultGapTimeout   = site.Duration(time.Minute)
)

var siteID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// LoadConfig reads and checks centre.yaml; every error at once, each as
// file:line:col.
func LoadConfig(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("centre config: %w", err)
	}
	return ParseConfig(file, data, os.ReadFile)
}

// ParseConfig parses data as the centre config file; readFile reads the
// secret files (relative to file).
func ParseConfig(file string, data []byte, readFile func(string) ([]byte, error)) (*Config, error) {
	errs := &yamlpos.List{}
	c := &Config{}
	doc, ok := yamlpos.ReadDocument(file, "centre config", data, errs)
	if !ok {
		return nil, errs.Err()
	}
	var d *yamlpos.Decoder
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		d = yamlpos.NewDecoder(file, errs, doc.Content[0])
		d.Label = siteLabel
		d.Decode(doc.Content[0], c)
	}
	if n := c.NotifySection.node; n != nil {
		c.Notify = site.ParseNotify(file, n, errs, readFile)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	ck := &configChecker{file: file, errs: errs, c: c, read: readFile}
	if d != nil {
		ck.fields = d.Fields
	}
	ck.check()
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

func siteLabel(key string, n *yaml.Node, _ int) (string, bool) {
	id, ok := yamlpos.ScalarAt(n, "id")
	if !ok || key != "sites" {
		return "", false
	}
	return "site " + yamlpos.Quote(id), true
}

type configChecker struct {
	file   string
	errs   *yamlpos.List
	c      *Config
	fields map[yamlpos.FieldRef]Pos
	read   func(string) ([]byte, error)
}

func (k *configChecker) at(owner any, key string, def Pos) Pos {
	if p, ok := k.fields[yamlpos.FieldRef{Owner: owner, Key: key}]; ok {
		return p
	}
	if def.Line == 0 {
		return Pos{File: k.file, Line: 1, Col: 1}
	}
	return def
}

func (k *configChecker) check() {
	c := k.c
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.OfflineAfter == 0 {
		c.OfflineAfter = DefaultOfflineAfter
	}
	if c.GapTimeout == 0 {
		c.GapTimeout = DefaultGapTimeout
	}
	loc, err := time.LoadLocation(cmpOr(c.Timezone, "UTC"))
	if err != nil || c.Timezone == "Local" {
		k.errs.Add(k.at(c, "timezone", c.Pos), "timezone %s: want an IANA zone such as Asia/Shanghai", yamlpos.Quote(c.Timezone))
	}
	c.Location = loc
	if c.Broker.URL == "" {
		k.errs.Add(k.at(c, "broker", c.Pos), "broker.url missing (the central broker, tcp://host:1883 or ssl://host:8883)")
	}
	c.Broker.Password = k.secret(&c.Broker, "password_file", c.Broker.PasswordFile, c.Broker.Pos, "broker", 0)
	if c.Influx != nil {
		k.checkInflux(c.Influx)
	}
	if len(c.Sites) == 0 {
		k.errs.Add(k.at(c, "sites", c.Pos), "sites: no site listed")
	}
	seen := map[string]bool{}
	for i := range c.Sites {
		k.checkSite(&c.Sites[i], seen)
	}
}

func (k *configChecker) checkSite(s *Site, seen map[string]bool) {
	ctx := "site " + yamlpos.Quote(s.ID)
	switch {
	case !siteID.MatchString(s.ID):
		k.errs.Add(k.at(s, "id", s.Pos), "%s: id must be the site file's site id (a-z, 0-9, - and _)", ctx)
	case seen[s.ID]:
		k.errs.Add(k.at(s, "id", s.Pos), "%s: listed twice", ctx)
	}
	seen[s.ID] = true
	if s.URL != "" && !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "http://127.0.0.1") && !strings.HasPrefix(s.URL, "http://localhost") {
		k.errs.Add(k.at(s, "url", s.Pos), "%s: url %s: the site's API is reached over https:// (plain http only on loopback)", ctx, yamlpos.Quote(s.URL))
	}
	if s.URL == "" {
		k.errs.Add(k.at(s, "url", s.Pos), "%s: url missing (the site's facmon, https://host:8080): gaps are fetched from it", ctx)
	}
	s.Token = k.secret(s, "token_file", s.TokenFile, s.Pos, ctx, 1)
	if s.TokenFile == "" {
		k.errs.Add(k.at(s, "token_file", s.Pos), "%s: token_file missing (on the site: facmon token create --user centre-fetch)", ctx)
	}
	s.Key = k.secret(s, "key_file", s.KeyFile, s.Pos, ctx, site.MinKeyBytes)
	if s.KeyFile == "" {
		k.errs.Add(k.at(s, "key_file", s.Pos), "%s: key_file missing (the key in the site file's centre.key_file)", ctx)
	}
	if s.CAFile != "" {
		s.CAFile = k.path(s.CAFile)
	}
}

// checkInflux checks the influx section and fills its defaults.
func (k *configChecker) checkInflux(in *Influx) {
	const ctx = "influx"
	u, err := url.Parse(in.URL)
	switch {
	case in.URL == "":
		k.errs.Add(k.at(in, "url", in.Pos), "%s: url missing (the central InfluxDB, http://host:8086)", ctx)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		k.errs.Add(k.at(in, "url", in.Pos), "%s: url %s: want http://host:port or https://host:port", ctx, yamlpos.Quote(in.URL))
	}
	if in.Bucket == "" {
		k.errs.Add(k.at(in, "bucket", in.Pos), "%s: bucket missing (2.x: a bucket name; 1.8: db/rp)", ctx)
	}
	switch {
	case in.Interval == 0:
		in.Interval = site.Duration(DefaultStatusEvery)
	case in.Interval < site.Duration(time.Second):
		k.errs.Add(k.at(in, "interval", in.Pos), "%s: interval %s: at least 1s", ctx, time.Duration(in.Interval))
	}
	sp := &in.Spool
	if sp.MaxBytes == 0 {
		sp.MaxBytes = site.DefaultSpoolMaxBytes
	}
	if sp.SegmentBytes == 0 {
		sp.SegmentBytes = site.DefaultSpoolSegmentBytes
	}
	switch {
	case sp.MaxBytes < 0 || sp.SegmentBytes < 0:
		k.errs.Add(k.at(sp, "max_bytes", sp.Pos), "%s.spool: max_bytes and segment_bytes must be positive", ctx)
	case sp.SegmentBytes > sp.MaxBytes:
		k.errs.Add(k.at(sp, "max_bytes", sp.Pos), "%s.spool: max_bytes %s is below segment_bytes %s", ctx, sp.MaxBytes, sp.SegmentBytes)
	}
	if sp.Dir != "" {
		sp.Dir = k.path(sp.Dir)
	}
	in.Token = k.secret(in, "token_file", in.TokenFile, in.Pos, ctx, 0)
}

// secret reads a secret file, at least min bytes.
func (k *configChecker) secret(owner any, key, path string, p Pos, ctx string, min int) site.Secret {
	if path == "" {
		return ""
	}
	b, err := k.read(k.path(path))
	at := k.at(owner, key, p)
	if err != nil {
		k.errs.Add(at, "%s: %s: cannot read the file: %v", ctx, key, unwrapPath(err))
		return ""
	}
	v := strings.TrimSpace(string(b))
	if len(v) < max(min, 1) {
		k.errs.Add(at, "%s: %s: %d bytes; at least %d", ctx, key, len(v), max(min, 1))
		return ""
	}
	return site.Secret(v)
}

func (k *configChecker) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(k.file), p)
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// offlineAfter is the site's heartbeat timeout.
func (c *Config) offlineAfter(s *Site) time.Duration {
	if s.OfflineAfter > 0 {
		return time.Duration(s.OfflineAfter)
	}
	return time.Duration(c.OfflineAfter)
}
