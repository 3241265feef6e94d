package main

import (
	"time"

	"facmon/alarms/rules"
	alarmsvc "facmon/alarms/service"
	"facmon/collectors/modbus"
	"facmon/collectors/mqtt"
	"facmon/internal/site"
)

// buildAlarms builds the alarm service for the site and its rule set and
// mounts its API. The console's guard is built first: it checks the
// password of a disarm.
func (svc *service) buildAlarms(s *site.Site, set *rules.Set) error {
	a, err := alarmsvc.New(alarmsvc.Options{
		Site: s, Rules: set, DataDir: svc.flags.dataDir, JournalRecords: svc.flags.journalRecords,
		Store: svc.writer, User: svc.user, Passwords: svc.console.guard, Clock: time.Now,
		Registerer: svc.reg, Logger: svc.log,
	})
	if err != nil {
		return err
	}
	svc.alarms = a
	a.Mount(svc.web.Handle)
	return nil
}

// alarmLinks are the collectors alarms act through; nil where the site
// has none.
func alarmLinks(mb *modbus.Collector, mq *mqtt.Collector) alarmsvc.Links {
	var l alarmsvc.Links
	if mb != nil {
		l.Modbus = mb
	}
	if mq != nil {
		l.MQTT = mq.Publisher()
	}
	return l
}
