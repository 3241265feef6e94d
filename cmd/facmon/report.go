package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"facmon/alarms/report"
	"facmon/internal/site"
)

// cmdReport writes the daily or weekly report (docs/report.md) as one
// HTML page, and as PDF through headless Chromium with --pdf. It reads
// the journal without changing it, so it may run beside the service.
func cmdReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	config := fs.String("config", "", "site file (required): names, time zone, deadlines, storage.influx")
	dataDir := fs.String("data-dir", defaultDataDir(), "facmon's data directory; the journal is DIR/journal (env FACMON_DATA_DIR)")
	day := fs.String("day", "", "the day to report, YYYY-MM-DD in the site's time zone (default: yesterday)")
	week := fs.String("week", "", "report the week (Monday to Sunday) holding this day, YYYY-MM-DD")
	lang := fs.String("lang", "zh", "language of the page: zh or en")
	out := fs.String("out", "", "write the HTML page to this file (default: standard output)")
	pdf := fs.String("pdf", "", "also print the page to this PDF file with headless Chromium")
	chromium := fs.String("chromium", "chromium", "the Chromium binary --pdf uses")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	fail := func(err error) int { fmt.Fprintln(stderr, "facmon report:", err); return 1 }
	if *config == "" || (*day != "" && *week != "") || (*lang != "zh" && *lang != "en") {
		fmt.Fprintln(stderr, "facmon report: --config is required; --day or --week, not both; --lang zh or en")
		return 2
	}
	s, err := site.Load(*config)
	if err != nil {
		printLoadErrors(stderr, err)
		return 1
	}
	p, err := reportPeriod(s, *day, *week)
	if err != nil {
		return fail(err)
	}
	o, err := report.OptionsFor(s, *dataDir, *lang)
	if err != nil {
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := report.Build(ctx, o, p)
	if err != nil {
		return fail(err)
	}
	if err := writeReport(rep, *out, stdout); err != nil {
		return fail(err)
	}
	if *pdf != "" {
		if err := printReportPDF(ctx, rep, *chromium, *pdf); err != nil {
			return fail(err)
		}
	}
	fmt.Fprintln(stderr, rep.Summary())
	return 0
}

// reportPeriod is the period the flags name: a day, a week, or yesterday.
func reportPeriod(s *site.Site, day, week string) (report.Period, error) {
	if week != "" {
		return report.Week(week, s.Location)
	}
	if day == "" {
		day = time.Now().In(s.Location).AddDate(0, 0, -1).Format(time.DateOnly)
	}
	return report.Day(day, s.Location)
}

func writeReport(rep *report.Report, out string, stdout io.Writer) error {
	if out == "" {
		return rep.HTML(stdout)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := rep.HTML(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// printReportPDF renders the page to a temporary file and prints it.
func printReportPDF(ctx context.Context, rep *report.Report, chromium, pdf string) error {
	dir, err := os.MkdirTemp("", "facmon-report")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	page := filepath.Join(dir, "report.html")
	if err := writeReport(rep, page, nil); err != nil {
		return err
	}
	return report.PDF(ctx, chromium, page, pdf)
}
