package site

import "slices"

// Report schedules the daily and weekly report (篇4·07PART·73–75):
// made at a time of day in the site's time zone and announced to
// receivers with a short summary and the link to the page.
type Report struct {
	Pos `yaml:"-"`
	// At is the time of day ("07:30") the report of the day before is
	// made and announced; empty: no schedule (the report is still served
	// by the console and made by `facmon report`).
	At string `yaml:"at"`
	// Weekly is the weekday ("mon") on which, at At, the report of the
	// week before is made and announced too; empty: none.
	Weekly string `yaml:"weekly"`
	// Receivers are notify receivers that get the summary and the link.
	Receivers []string `yaml:"receivers"`
	// Lang is the language of the message and the linked page: "zh" (the
	// default) or "en".
	Lang string `yaml:"lang"`
}

// checkReport checks the report section against the receivers.
func (c *checker) checkReport() {
	r := c.site.Report
	if r == nil {
		return
	}
	const ctx = "report"
	if r.At != "" {
		if _, err := ParseClock(r.At); err != nil {
			c.errf(c.at(r, "at", r.Pos), "%s: at: %v", ctx, err)
		}
	}
	if r.At == "" && (len(r.Receivers) > 0 || r.Weekly != "") {
		c.errf(r.Pos, "%s: at missing (the time of day the report is made, like 07:30)", ctx)
	}
	if r.Weekly != "" && !slices.Contains(Weekdays, r.Weekly) {
		c.errf(c.at(r, "weekly", r.Pos), "%s: weekly: day %s unknown (want %s)", ctx, quote(r.Weekly), oneOf(Weekdays))
	}
	if r.Lang != "" && r.Lang != LangZh && r.Lang != LangEn {
		c.errf(c.at(r, "lang", r.Pos), "%s: lang %s unknown (want zh or en)", ctx, quote(r.Lang))
	}
	recv := map[string]Pos{}
	for _, rc := range c.site.Notify.Receivers {
		recv[rc.Name] = rc.Pos
	}
	c.refs(r, "receivers", r.Receivers, recv, r.Pos, ctx, "receiver")
}
