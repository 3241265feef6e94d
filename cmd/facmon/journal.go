package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"facmon/alarms/journal"
	alarmsvc "facmon/alarms/service"
	"facmon/collectors/mqtt"
	"facmon/internal/site"
)

// cmdJournalVerify checks the alarm journal's integrity chain: framing,
// CRCs, sequence continuity and the hash chain. With --witness it also
// checks the newest records against the journal head facmon published on
// the site's MQTT broker (retained), so that a removed, cut or damaged
// newest record is a break, not a torn append. Exit 0: intact; 1: broken
// (the record number and the reason are printed); 2: usage, or the journal
// (or, with --witness, the witness) cannot be read. It only reads, so it
// may run beside a running facmon.
func cmdJournalVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("journal verify", flag.ContinueOnError)
	dataDir := fs.String("data-dir", defaultDataDir(), "facmon's data directory; the journal is DIR/journal (env FACMON_DATA_DIR)")
	witness := fs.Bool("witness", false, "check the newest records against the journal head retained on the site's MQTT broker (needs --config)")
	config := fs.String("config", "", "the site file, for --witness: its broker, credentials and site id")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	dir := filepath.Join(*dataDir, "journal")
	var r journal.Report
	var err error
	if *witness {
		var w journal.Head
		if w, err = readWitness(*config); err != nil {
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

// readWitness reads the journal head facmon retained on the site's broker.
func readWitness(config string) (journal.Head, error) {
	if config == "" {
		return journal.Head{}, fmt.Errorf("--witness needs --config SITE.yaml (the broker it publishes on)")
	}
	s, err := site.Load(config)
	if err != nil {
		return journal.Head{}, err
	}
	if s.MQTT.URL == "" {
		return journal.Head{}, fmt.Errorf("%s has no mqtt.url: no witness to read", config)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
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
