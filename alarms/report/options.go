package report

import (
	"path/filepath"
	"time"

	"facmon/alarms/backtest/history"
	"facmon/internal/site"
)

// OptionsFor are the options of a report of s whose data directory is
// dataDir: its journal, and its InfluxDB if storage.influx.url is set.
func OptionsFor(s *site.Site, dataDir, lang string) (Options, error) {
	o := Options{Site: s, JournalDir: filepath.Join(dataDir, "journal"), Lang: lang}
	in := s.Storage.Influx
	if in.URL == "" {
		return o, nil
	}
	h, err := history.New(history.Options{URL: in.URL, Bucket: in.Bucket, Token: string(in.Token),
		Timeout: 6 * time.Duration(in.Timeout)})
	if err != nil {
		return o, err
	}
	o.History = h
	return o, nil
}

// Link is the report page of p as the phones reach it: notify.public_url
// + /reports/ + the period's id; empty without a public URL.
func Link(s *site.Site, p Period) string {
	base := s.Notify.PublicURL
	if base == "" {
		return ""
	}
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + "/reports/" + p.ID()
}
