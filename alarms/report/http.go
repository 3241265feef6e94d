package report

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"facmon/internal/site"
)

// HandlerOptions configure the report pages of the console.
type HandlerOptions struct {
	// Site returns the site file in force.
	Site func() *site.Site
	// Options returns the report options for a language (OptionsFor).
	Options func(s *site.Site, lang string) (Options, error)
	Logger  *slog.Logger
}

// Mount mounts the report pages: GET /reports/ (the list) and
// GET /reports/{period} (2026-12-05, week-2026-11-30), ?lang=en for
// English. The caller's handle puts them behind the console's login.
func Mount(handle func(pattern string, h http.Handler), o HandlerOptions) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	handle("GET /reports/{$}", http.HandlerFunc(o.serveIndex))
	handle("GET /reports/{period}", http.HandlerFunc(o.serveReport))
}

// lang is the page's language: ?lang=, else the site's report.lang.
func lang(r *http.Request, s *site.Site) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		return l
	}
	if s.Report != nil {
		return s.Report.Lang
	}
	return ""
}

func (o *HandlerOptions) serveReport(w http.ResponseWriter, r *http.Request) {
	s := o.Site()
	p, err := ParseID(r.PathValue("period"), s.Location)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	opts, err := o.Options(s, lang(r, s))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if p.Start.After(now()) {
		http.Error(w, "report "+p.ID()+": the period has not begun", http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	rep, err := Build(ctx, opts, p)
	if err != nil {
		o.Logger.Error("report page", "period", p.ID(), "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	if err := rep.HTML(&b); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	pageHeaders(w)
	_, _ = w.Write(b.Bytes())
}

var indexPage = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="{{if .En}}en{{else}}zh-CN{{end}}"><head><meta charset="utf-8"><title>{{.Site}} {{.Title}}</title>
<style>body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;margin:24px auto;max-width:720px}
li{margin:3px 0}</style></head><body>
<h1>{{.Site}} {{.Title}}</h1>
<h2>{{.DailyTitle}}</h2><ul id="days">{{range .Days}}<li><a href="{{.ID}}">{{.Label}}</a></li>{{end}}</ul>
<h2>{{.WeeklyTitle}}</h2><ul id="weeks">{{range .Weeks}}<li><a href="{{.ID}}">{{.Label}}</a></li>{{end}}</ul>
</body></html>`))

type indexLink struct{ ID, Label string }

// serveIndex lists the last 14 days and the last 8 weeks.
func (o *HandlerOptions) serveIndex(w http.ResponseWriter, r *http.Request) {
	s := o.Site()
	wd := wordsOf(lang(r, s))
	now := time.Now().In(s.Location)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.Location)
	q := ""
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		q = "?lang=" + l
	}
	data := struct {
		En                                   bool
		Site, Title, DailyTitle, WeeklyTitle string
		Days, Weeks                          []indexLink
	}{En: wd.Lang == "en", Site: s.Name, Title: wd.Reports, DailyTitle: wd.Daily, WeeklyTitle: wd.Weekly}
	for i := range 14 {
		d := today.AddDate(0, 0, -i)
		p := Period{Kind: KindDay, Start: d, End: d.AddDate(0, 0, 1)}
		data.Days = append(data.Days, indexLink{ID: p.ID() + q, Label: d.Format(time.DateOnly) + " " + wd.weekday(d.Weekday())})
	}
	wk, _ := Week(today.Format(time.DateOnly), s.Location)
	for i := range 8 {
		p := Period{Kind: KindWeek, Start: wk.Start.AddDate(0, 0, -7*i), End: wk.End.AddDate(0, 0, -7*i)}
		data.Weeks = append(data.Weeks, indexLink{ID: p.ID() + q, Label: fmt.Sprintf("%s — %s", p.Start.Format(time.DateOnly), p.End.AddDate(0, 0, -1).Format(time.DateOnly))})
	}
	pageHeaders(w)
	if err := indexPage.Execute(w, data); err != nil {
		o.Logger.Error("report index", "err", err)
	}
}

// pageHeaders are the report pages' headers: no script at all, the
// page's own inline style (the page is one self-contained document, also
// written to a file and printed), no caching of figures that change.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
}
