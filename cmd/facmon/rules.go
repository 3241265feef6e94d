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
	siteFile := fs.String("site", "", "also check the rules under test against this site file: each must select one of its devices")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: facmon rules test [--site SITE.yaml] FILE_test.yaml...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	rep, err := rulestest.RunWith(rulestest.Options{Files: fs.Args(), Site: *siteFile}, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "facmon rules test:", err)
		return 2
	}
	if rep.Failed {
		return 1
	}
	return 0
}
