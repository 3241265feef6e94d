package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"facmon/alarms/notify"
	"facmon/internal/site"
)

// cmdNotifyTest sends one test message to one receiver of the site file and
// prints what came back.
func cmdNotifyTest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("notify test", flag.ContinueOnError)
	config := fs.String("config", "", "site file (required)")
	receiver := fs.String("receiver", "", "receiver name under notify.receivers (required)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *config == "" || *receiver == "" {
		fmt.Fprintln(stderr, "facmon notify test: --config SITE.yaml and --receiver NAME are required")
		return 2
	}
	s, err := site.Load(*config)
	if err != nil {
		printLoadErrors(stderr, err)
		return 1
	}
	r, ok := s.Notify.Receiver(*receiver)
	if !ok {
		fmt.Fprintf(stderr, "facmon notify test: %s: no receiver %q (have %v)\n", *config, *receiver, receiverNames(s))
		return 1
	}
	built, err := notify.Build(&s.Notify, &http.Client{}, time.Now)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.Timeout.Std())
	defer cancel()
	res, err := built.Receivers[r.Name].Send(ctx, notify.TestMessage(s.ID, notify.NamesOf(s), r.Name, time.Now()))
	return printSendResult(stdout, stderr, r, res, err)
}

// printSendResult prints the receiver's answer; exit 1 on failure.
func printSendResult(stdout, stderr io.Writer, r *site.Receiver, res notify.Result, err error) int {
	if err != nil {
		fmt.Fprintf(stderr, "receiver %q (%s): failed (retryable: %v): %v\n", r.Name, r.Type, notify.Retryable(err), err)
		return 1
	}
	fmt.Fprintf(stdout, "receiver %q (%s): HTTP %d\n%s\n", r.Name, r.Type, res.Status, res.Body)
	return 0
}

// receiverNames lists the site's receivers, sorted.
func receiverNames(s *site.Site) []string {
	var out []string
	for _, r := range s.Notify.Receivers {
		out = append(out, r.Name)
	}
	slices.Sort(out)
	return out
}
