package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"facmon/alarms/rules"
	"facmon/internal/lint"
	"facmon/internal/site"
)

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	config := fs.String("config", "", "site file to check (required)")
	dryRun := fs.Bool("dry-run", false, "also list every linkage action the rules would run, per device (check never runs one)")
	strict := fs.Bool("strict", false, "treat warnings (what would fail silently) as errors: exit 1")
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
	site.AddSelf(s)
	set, err := rules.ForSite(*config, s)
	if err != nil {
		printLoadErrors(stderr, err)
		return 1
	}
	warned := printWarnings(stderr, *config, s, set)
	if warned > 0 && *strict {
		fmt.Fprintf(stderr, "%s: %d warning(s), --strict: failing\n", *config, warned)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok: site %q, %d areas, %d devices, %d signals, %d rules%s\n",
		*config, s.ID, len(s.Areas), len(s.Devices), countSignals(s), len(set.Rules), warnings(warned))
	if *dryRun {
		printActions(stdout, set, s)
	}
	return 0
}

// printWarnings prints what would fail silently (package lint), one
// file:line:col: warning: line each, and returns how many.
func printWarnings(w io.Writer, config string, s *site.Site, set *rules.Set) int {
	text, _ := os.ReadFile(config) // only to place a warning; the loader read it already
	ws := lint.Check(s, set, text)
	for _, x := range ws {
		fmt.Fprintln(w, x)
	}
	return len(ws)
}

func warnings(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d warnings (above)", n)
}

// printActions lists the linkage actions of set as they would run, without
// running any: check never writes to a device or publishes a command.
func printActions(w io.Writer, set *rules.Set, s *site.Site) {
	state := "enabled"
	if e := s.Linkage.Enabled; e != nil && !*e {
		state = "disabled for this site"
	}
	fmt.Fprintf(w, "linkage actions (%s; not run by check):\n", state)
	for _, r := range set.Rules {
		for _, a := range r.Actions {
			when := a.When
			if when == "" {
				when = "raise"
			}
			switch {
			case a.Write != nil:
				for dev, target := range a.Targets {
					fmt.Fprintf(w, "  %s on %s: %s → write %s.%s = %g\n", r.Name, dev, when, target, a.Write.Signal, a.Write.Value)
				}
			case a.Publish != nil:
				fmt.Fprintf(w, "  %s: %s → publish %s (qos %d)\n", r.Name, when, a.Publish.Topic, a.Publish.QoS)
			}
		}
	}
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
