package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"facmon/internal/site"
)

// runFlags are the flags of `facmon run` (and `facmon demo`) that override
// the site file.
type runFlags struct {
	config          string
	listen          string
	dataDir         string
	influxURL       string
	influxOrg       string
	influxBucket    string
	influxTokenFile string
	mqttURL         string
	logLevel        string
	logFormat       string
	journalRecords  int

	// demo is set by `facmon demo` (the console then creates its demo
	// user); override rewrites each loaded site (the demo's broker and
	// simulator addresses), on start and on every reload.
	demo     bool
	override func(*site.Site)
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "site file (YAML)")
	fs.StringVar(&f.listen, "listen", "", "HTTP listen address (default from the site file, else 127.0.0.1:8080)")
	fs.StringVar(&f.dataDir, "data-dir", defaultDataDir(), "directory for the spool and the journal (env FACMON_DATA_DIR)")
	fs.StringVar(&f.influxURL, "influx-url", "", "InfluxDB URL (overrides storage.influx.url)")
	fs.StringVar(&f.influxOrg, "influx-org", "", "InfluxDB 2.x organisation")
	fs.StringVar(&f.influxBucket, "influx-bucket", "", `InfluxDB bucket ("db/rp" for 1.8)`)
	fs.StringVar(&f.influxTokenFile, "influx-token-file", "", "file holding the InfluxDB token (or env FACMON_INFLUX_TOKEN)")
	fs.StringVar(&f.mqttURL, "mqtt-url", "", "MQTT broker URL (overrides mqtt.url)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "text or json")
	fs.IntVar(&f.journalRecords, "journal-records", 0, "records the alarm journal keeps, and the alarm history shows (default 10000)")
}

func defaultDataDir() string {
	if d := os.Getenv("FACMON_DATA_DIR"); d != "" {
		return d
	}
	return "facmon-data"
}

// loadSite loads the site file and applies the flags over it.
func (f *runFlags) loadSite() (*site.Site, error) {
	s, err := site.Load(f.config)
	if err != nil {
		return nil, err
	}
	if err := f.apply(s); err != nil {
		return nil, err
	}
	if f.override != nil {
		f.override(s)
	}
	site.AddSelf(s)
	return s, nil
}

// apply lays the flags over the site file's settings.
func (f *runFlags) apply(s *site.Site) error {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&s.HTTP.Listen, f.listen)
	if s.HTTP.Listen == "" {
		s.HTTP.Listen = "127.0.0.1:8080"
	}
	in := &s.Storage.Influx
	set(&in.URL, f.influxURL)
	set(&in.Org, f.influxOrg)
	set(&in.Bucket, f.influxBucket)
	set(&s.MQTT.URL, f.mqttURL)
	if f.influxTokenFile != "" {
		b, err := os.ReadFile(f.influxTokenFile)
		if err != nil {
			return fmt.Errorf("--influx-token-file: %w", err)
		}
		in.Token = site.Secret(strings.TrimSpace(string(b)))
	}
	if s.Storage.Spool.Dir == "" {
		s.Storage.Spool.Dir = filepath.Join(f.dataDir, "spool")
	}
	return nil
}
