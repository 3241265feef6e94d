package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"facmon/alarms/backtest/history"
	"facmon/alarms/journal"
	alarmsvc "facmon/alarms/service"
	"facmon/collectors/mqtt"
	"facmon/internal/site"
)

// cmdJournalVerify checks the alarm journal's integrity chain: framing,
// CRCs, sequence continuity and the hash chain. With --witness it also
// checks the newest records against the journal head facmon published on
// the site's MQTT broker (retained) and in InfluxDB, so that a removed, cut or damaged
// newest record is a break, not a torn append. Exit 0: intact; 1: broken
// (the record number and the reason are printed); 2: usage, or the journal
// (or, with --witness, the witness) cannot be read. It only reads, so it
// may run beside a running facmon.
func cmdJournalVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("journal verify", flag.ContinueOnError)
	dataDir := fs.String("data-dir", defaultDataDir(), "facmon's data directory; the journal is DIR/journal (env FACMON_DATA_DIR)")
	witness := fs.Bool("witness", false, "check the newest records against the journal head facmon published (retained on the site's MQTT broker, and in InfluxDB; needs --config)")
	config := fs.String("config", "", "the site file, for --witness: its broker, credentials and site id")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	dir := filepath.Join(*dataDir, "journal")
	var r journal.Report
	var err error
	if *witness {
		var w journal.Head
		if w, err = readWitness(*config, stdout); err != nil {
			fmt.Fprintf(stderr, "facmon journal verify: witness: %v\n", err)
			return 2
		}
		fmt.Fprintf(stdout, "%s: witness: record %d, hash %s\n", dir, w.Seq, w.Hash)
		r, err = journal.VerifyWitness(dir, w)
	} else {
		r, err = journal.Verify(dir)
	}
	if err != nil {
		fmt.Fprintf(stderr, "facmon journal verify: %v\n", err)
		return 2
	}
	return printReport(stdout, dir, r, *witness)
}

func printReport(stdout io.Writer, dir string, r journal.Report, witnessed bool) int {
	if !r.OK() {
		fmt.Fprintf(stdout, "%s: BROKEN at record %d: %s (%s byte %d)\n", dir, r.Broken.Seq, r.Broken.Reason, r.Broken.Segment, r.Broken.Offset)
		return 1
	}
	fmt.Fprintf(stdout, "%s: intact: %d records (%d-%d) in %d segments, %d bytes\n", dir, r.Records, r.First, r.Last, r.Segments, r.Bytes)
	if r.TornBytes > 0 {
		fmt.Fprintf(stdout, "%s: %d bytes of a torn append at the end (a crash mid-append, never acknowledged); cut on the next start\n", dir, r.TornBytes)
	}
	if !witnessed {
		fmt.Fprintf(stdout, "%s: the newest records are not proven without --witness\n", dir)
	}
	return 0
}

// readWitness reads the journal head facmon published — retained on the
// site's broker and as a point in InfluxDB — and returns the newest it
// can reach; it fails only when it reaches neither.
func readWitness(config string, stdout io.Writer) (journal.Head, error) {
	if config == "" {
		return journal.Head{}, fmt.Errorf("--witness needs --config SITE.yaml (the broker and InfluxDB it publishes to)")
	}
	s, err := site.Load(config)
	if err != nil {
		return journal.Head{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var best journal.Head
	var errs []error
	for _, src := range []struct {
		name string
		read func(context.Context, *site.Site) (journal.Head, error)
	}{{"mqtt", witnessFromMQTT}, {"influxdb", witnessFromInflux}} {
		h, err := src.read(ctx, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", src.name, err))
			fmt.Fprintf(stdout, "witness %s: not read: %v\n", src.name, err)
			continue
		}
		fmt.Fprintf(stdout, "witness %s: record %d\n", src.name, h.Seq)
		if h.Seq >= best.Seq {
			best = h
		}
	}
	if len(errs) == 2 {
		return journal.Head{}, errors.Join(errs...)
	}
	return best, nil
}

// witnessFromMQTT reads the head retained on the site's broker.
func witnessFromMQTT(ctx context.Context, s *site.Site) (journal.Head, error) {
	if s.MQTT.URL == "" {
		return journal.Head{}, errors.New("the site has no mqtt.url")
	}
	b, err := mqtt.ReadRetained(ctx, s, alarmsvc.WitnessTopic(s.ID))
	if err != nil {
		return journal.Head{}, err
	}
	var m alarmsvc.WitnessMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return journal.Head{}, fmt.Errorf("%s: %w", alarmsvc.WitnessTopic(s.ID), err)
	}
	return journal.Head{Seq: m.Seq, Hash: m.Hash}, nil
}

// witnessFromInflux reads the newest journal_head point of the site.
func witnessFromInflux(ctx context.Context, s *site.Site) (journal.Head, error) {
	in := s.Storage.Influx
	if in.URL == "" {
		return journal.Head{}, errors.New("the site has no storage.influx.url")
	}
	r, err := history.New(history.Options{URL: in.URL, Bucket: in.Bucket, Token: in.Token.Reveal(), Timeout: 10 * time.Second})
	if err != nil {
		return journal.Head{}, err
	}
	row, err := r.Last(ctx, alarmsvc.WitnessMeasurement, "site", s.ID, "seq", "hash")
	if err != nil {
		return journal.Head{}, err
	}
	if row == nil {
		return journal.Head{}, errors.New("no journal_head point of this site")
	}
	n, _ := row["seq"].(json.Number)
	seq, err := strconv.ParseFloat(string(n), 64)
	hs, _ := row["hash"].(string)
	var h journal.Hash
	if err != nil || h.UnmarshalText([]byte(hs)) != nil {
		return journal.Head{}, fmt.Errorf("journal_head point unreadable: %v", row)
	}
	return journal.Head{Seq: uint64(seq), Hash: h}, nil
}
