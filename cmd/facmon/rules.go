package main

import (
	"flag"
	"fmt"
	"io"

	"facmon/alarms/rulestest"
)

// cmdRulesTest runs rule unit tests in the manner of `promtool test rules`.
func cmdRulesTest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: facmon rules test FILE_test.yaml...") }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	failed, err := rulestest.Run(fs.Args(), stdout)
	if err != nil {
		fmt.Fprintln(stderr, "facmon rules test:", err)
		return 2
	}
	if failed {
		return 1
	}
	return 0
}
