package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"facmon/alarms/backtest"
	"facmon/alarms/backtest/history"
	"facmon/alarms/rules"
	"facmon/internal/site"
)

// cmdRulesBacktest replays recorded history through the current and the
// proposed rules (docs/rules.md, "Backtest").
func cmdRulesBacktest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules backtest", flag.ContinueOnError)
	config := fs.String("config", "", "site file (required); its storage.influx says where the history is")
	from := fs.String("from", "", "start of the history: YYYY-MM-DD (site time zone) or RFC 3339 (required)")
	to := fs.String("to", "", "end of the history, exclusive: YYYY-MM-DD or RFC 3339 (required)")
	newGlob := fs.String("rules", "", "proposed rule files (glob); empty replays the current rules only")
	format := fs.String("format", "table", "table, json or html")
	lang := fs.String("lang", "zh", "language of the table and page: zh or en")
	gap := fs.Duration("gap", backtest.DefaultGap, "a device silent for longer is reported as a gap in the data")
	page := fs.Int("page-size", history.DefaultPageSize, "rows read per series per InfluxDB request")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	fail := func(err error) int { fmt.Fprintln(stderr, "facmon rules backtest:", err); return 1 }
	if *config == "" || *from == "" || *to == "" {
		fmt.Fprintln(stderr, "facmon rules backtest: --config, --from and --to are required")
		return 2
	}
	l, err := backtest.ParseLang(*lang)
	if err != nil {
		return fail(err)
	}
	render, err := renderer(*format, l)
	if err != nil {
		return fail(err)
	}
	s, err := site.Load(*config)
	if err != nil {
		printLoadErrors(stderr, err)
		return 1
	}
	o := backtest.Options{Site: s, Gap: *gap}
	if o.From, err = parseDay(*from, s.Location); err != nil {
		return fail(fmt.Errorf("--from: %w", err))
	}
	if o.To, err = parseDay(*to, s.Location); err != nil {
		return fail(fmt.Errorf("--to: %w", err))
	}
	if o.Old, err = rules.ForSite(*config, s); err != nil {
		printLoadErrors(stderr, err)
		return 1
	}
	o.New = o.Old
	if *newGlob != "" {
		if o.New, err = backtest.NewRules(s, *newGlob); err != nil {
			printLoadErrors(stderr, err)
			return 1
		}
	}
	in := s.Storage.Influx
	rd, err := history.New(history.Options{URL: in.URL, Bucket: in.Bucket, Token: string(in.Token),
		PageSize: *page, Timeout: time.Duration(in.Timeout) * 6})
	if err != nil {
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := backtest.Run(ctx, rd, o)
	if err != nil {
		return fail(err)
	}
	if err := render(stdout, rep); err != nil {
		return fail(err)
	}
	return 0
}

// renderer returns the writer of a --format.
func renderer(format string, l backtest.Lang) (func(io.Writer, *backtest.Report) error, error) {
	switch format {
	case "table":
		return func(w io.Writer, r *backtest.Report) error { return backtest.WriteTable(w, r, l) }, nil
	case "json":
		return backtest.WriteJSON, nil
	case "html":
		return func(w io.Writer, r *backtest.Report) error { return backtest.WriteHTML(w, r, l) }, nil
	}
	return nil, fmt.Errorf("--format %q: want table, json or html", format)
}

// parseDay reads YYYY-MM-DD (midnight in loc) or RFC 3339.
func parseDay(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want YYYY-MM-DD or RFC 3339", s)
	}
	return t, nil
}
