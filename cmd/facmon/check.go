package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"facmon/alarms/rules"
	"facmon/internal/site"
)

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	config := fs.String("config", "", "site file to check (required)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *config == "" {
		fmt.Fprintln(stderr, "facmon check: --config SITE.yaml is required")
		return 2
	}
	s, err := site.Load(*config)
	if err != nil {
		printLoadErrors(stderr, err)
		return 1
	}
	set, err := rules.ForSite(*config, s)
	if err != nil {
		printLoadErrors(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok: site %q, %d areas, %d devices, %d signals, %d rules\n",
		*config, s.ID, len(s.Areas), len(s.Devices), countSignals(s), len(set.Rules))
	return 0
}

// printLoadErrors prints every error of a failed load on its own line, as
// file:line:col: message.
func printLoadErrors(w io.Writer, err error) {
	for _, l := range errorLines(err) {
		fmt.Fprintln(w, l)
	}
}

// errorLines splits a loader's error list into one line per mistake.
func errorLines(err error) []string {
	var out []string
	var errs site.Errors
	var rerrs rules.Errors
	switch {
	case errors.As(err, &errs):
		for _, e := range errs {
			out = append(out, e.Error())
		}
	case errors.As(err, &rerrs):
		for _, e := range rerrs {
			out = append(out, e.Error())
		}
	default:
		out = append(out, err.Error())
	}
	return out
}

func countSignals(s *site.Site) int {
	n := 0
	for _, d := range s.Devices {
		n += len(d.Signals)
	}
	return n
}
