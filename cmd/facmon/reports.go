package main

import (
	"context"

	"facmon/alarms/report"
	"facmon/internal/site"
)

// reportOptions are the report options of the running service.
func (svc *service) reportOptions(s *site.Site, lang string) (report.Options, error) {
	return report.OptionsFor(s, svc.flags.dataDir, lang)
}

// mountReports serves the report pages behind the console's login and
// builds the schedule that announces them (report: in the site file).
func (svc *service) mountReports() *report.Schedule {
	report.Mount(svc.web.Handle, report.HandlerOptions{Site: svc.currentSite, Options: svc.reportOptions,
		Logger: svc.log.With("part", "report")})
	return report.NewSchedule(report.ScheduleOptions{
		Site: svc.currentSite,
		Build: func(ctx context.Context, p report.Period, lang string) (*report.Report, error) {
			o, err := svc.reportOptions(svc.currentSite(), lang)
			if err != nil {
				return nil, err
			}
			return report.Build(ctx, o, p)
		},
		Announce:   svc.alarms.Announce,
		Logger:     svc.log.With("part", "report"),
		Registerer: svc.reg,
	})
}
