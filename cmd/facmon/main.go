// Command facmon is the facility-monitoring service for residential
// communities: it collects readings over Modbus and MQTT, stores them in
// InfluxDB, evaluates the alarm rules of the property-management standard
// and alerts the monitoring centre. This package is wiring only: each
// subcommand parses its flags, builds the parts from their option structs
// and runs them under one context.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand.
type command struct {
	name  string
	usage string
	run   func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run the service: facmon run --config SITE.yaml", cmdRun},
		{"demo", "the demo community on this machine, no outside services: facmon demo [--scenario NAME]", cmdDemo},
		{"centre", "run the group monitoring centre over many sites: facmon centre --config centre.yaml [--data-dir DIR]", cmdCentre},
		{"check", "validate a site file and its rules: facmon check --config SITE.yaml", cmdCheck},
		{"simulate", "serve the site's devices as real Modbus slaves and MQTT publishers: facmon simulate --config SITE.yaml [--scenario NAME]", cmdSimulate},
		{"rules test", "run rule unit tests (input series on a simulated clock, expected alarms): facmon rules test FILE...", cmdRulesTest},
		{"rules backtest", "replay recorded history through the current and proposed rules: facmon rules backtest --config SITE.yaml --from 2026-11-01 --to 2026-12-01 [--rules NEW_GLOB] [--format table|json|html]", cmdRulesBacktest},
		{"modbus read", "read a Modbus device once, decoded every way: facmon modbus read --address HOST:PORT|/dev/ttyUSB0 [--transport tcp|rtu|rtu-over-tcp] --unit N --table holding --start 0 --count 20", cmdModbusRead},
		{"modbus probe", "find which units and address ranges of a Modbus device answer: facmon modbus probe --address HOST:PORT --unit 1-10 [--site-snippet --signal NAME=holding:100:uint16:0.01]", cmdModbusProbe},
		{"report", "the daily or weekly report as one printable HTML page (and PDF): facmon report --config SITE.yaml --day 2026-12-05 | --week 2026-12-05 [--out FILE] [--pdf FILE] [--lang en]", cmdReport},
		{"journal verify", "check the alarm journal's integrity chain: facmon journal verify --data-dir DIR [--witness --config SITE.yaml]", cmdJournalVerify},
		{"version", "print the version", cmdVersion},
		{"notify test", "send a test message to one receiver: facmon notify test --config SITE.yaml --receiver NAME", cmdNotifyTest},
		{"health", "probe a running facmon's /healthz (exit 0 when healthy): facmon health [--url URL]", cmdHealth},
		{"user add", "add a console user or change one (password from the terminal or stdin): facmon user add NAME --role operator|engineer|admin", cmdUserAdd},
		{"user remove", "remove a console user and its tokens: facmon user remove NAME", cmdUserRemove},
		{"user list", "list the console users and their roles: facmon user list", cmdUserList},
		{"token create", "create a bearer token for the JSON API, printed once: facmon token create --user NAME [--expires 90d] [--role operator]", cmdTokenCreate},
		{"token list", "list the API tokens (id, user, role, expiry; never the secret): facmon token list", cmdTokenList},
		{"token revoke", "revoke an API token: facmon token revoke ID", cmdTokenRevoke},
		{"help", "list the commands", nil},
	}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the subcommand named by args[0] and returns the exit code.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	name := args[0]
	if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		// Two-word commands: "rules test", "journal verify", ...
		if c, ok := find(name + " " + args[1]); ok {
			return c.run(args[2:], stdout, stderr)
		}
	}
	if c, ok := find(name); ok && c.run != nil {
		return c.run(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "facmon: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

func find(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "facmon %s — facility monitoring for residential communities\n\nUsage: facmon COMMAND [flags]\n\nCommands:\n", version())
	cs := commands()
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.usage)
	}
	fmt.Fprintf(w, "\nRun 'facmon COMMAND -h' for a command's flags.\n")
}

// parseFlags parses args into fs and turns -h and flag errors into an exit
// code; ok is false when the caller should return code.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "facmon %s: unexpected arguments: %v\n", fs.Name(), fs.Args())
		return 2, false
	}
	return 0, true
}
