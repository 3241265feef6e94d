package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"facmon/alarms/journal"
)

// cmdJournalVerify checks the alarm journal's integrity chain: framing,
// CRCs, sequence continuity and the hash chain. Exit 0: intact; 1: broken
// (the record number and the reason are printed); 2: usage, or the journal
// cannot be read. It only reads, so it may run beside a running facmon.
func cmdJournalVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("journal verify", flag.ContinueOnError)
	dataDir := fs.String("data-dir", defaultDataDir(), "facmon's data directory; the journal is DIR/journal (env FACMON_DATA_DIR)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	dir := filepath.Join(*dataDir, "journal")
	r, err := journal.Verify(dir)
	if err != nil {
		fmt.Fprintf(stderr, "facmon journal verify: %v\n", err)
		return 2
	}
	if !r.OK() {
		fmt.Fprintf(stdout, "%s: BROKEN at record %d: %s (%s byte %d)\n", dir, r.Broken.Seq, r.Broken.Reason, r.Broken.Segment, r.Broken.Offset)
		return 1
	}
	fmt.Fprintf(stdout, "%s: intact: %d records (%d-%d) in %d segments, %d bytes\n", dir, r.Records, r.First, r.Last, r.Segments, r.Bytes)
	if r.TornBytes > 0 {
		fmt.Fprintf(stdout, "%s: %d bytes of a torn append at the end (a crash mid-append, never acknowledged); cut on the next start\n", dir, r.TornBytes)
	}
	return 0
}
