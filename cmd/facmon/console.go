package main

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"facmon/alarms/auth"
	"facmon/alarms/console"
	"facmon/internal/site"
)

// consoleParts are the console's users, its guard and the page.
type consoleParts struct {
	users *auth.Store
	guard *auth.Guard
}

// usersFile is where `facmon user add` and the service keep the users.
func usersFile(dataDir string) string { return filepath.Join(dataDir, "users.json") }

// mountConsole mounts the operator console and its authentication on the
// HTTP listener: every route goes through the guard; /healthz, /readyz
// and (unless the site file closes it) /metrics stay open.
func (svc *service) mountConsole() error {
	s := svc.currentSite()
	users, err := auth.Open(usersFile(svc.flags.dataDir))
	if err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	if svc.flags.demo {
		if err := demoUser(users, svc); err != nil {
			return err
		}
	}
	if users.Empty() {
		svc.log.Error("no console users yet: nobody can log in until one is created",
			"fix", "facmon user add NAME --role admin --data-dir "+svc.flags.dataDir)
	}
	open := []string{"/healthz", "/readyz"}
	if s.HTTP.MetricsOpen() {
		open = append(open, "/metrics")
	}
	guard := auth.New(auth.Options{
		Store: users, IdleLock: idleLock(s.HTTP), Open: open, ScrapeToken: s.HTTP.MetricsToken.Reveal(), SessionFile: filepath.Join(svc.flags.dataDir, "sessions.json"),
		Registerer: svc.reg, Logger: svc.log.With("part", "auth"),
	})
	svc.console = &consoleParts{users: users, guard: guard}
	svc.web.Guard(guard.Wrap)
	guard.Mount(svc.web.Handle)
	guard.MountUsers(svc.web.Handle)
	console.New(console.Options{Site: func() console.SiteMap { return siteMap(svc.currentSite()) }}).Mount(svc.web.Handle)
	return svc.useTLS(s)
}

// reloadUsers applies a changed users file (`facmon user add` beside the
// running service): new users log in, changed or removed users' sessions
// and event streams end.
func (svc *service) reloadUsers() {
	if svc.console == nil {
		return
	}
	if err := svc.console.guard.ReloadUsers(); err != nil {
		svc.log.Error("users file not applied; keeping the users as they were", "err", err)
	}
}

// idleLock maps the site file's idle_lock to the guard's: unset is the
// default, 0s is off.
func idleLock(h site.HTTP) time.Duration {
	switch {
	case h.IdleLock == nil:
		return 0
	case *h.IdleLock == 0:
		return -1
	}
	return time.Duration(*h.IdleLock)
}

// useTLS loads the site file's certificate files, if any.
func (svc *service) useTLS(s *site.Site) error {
	t := s.HTTP.TLS
	if t == nil {
		return nil
	}
	cert, key := resolveFrom(svc.flags.config, t.CertFile), resolveFrom(svc.flags.config, t.KeyFile)
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return fmt.Errorf("%s: http.tls: cert_file %s, key_file %s: %w", svc.flags.config, cert, key, err)
	}
	svc.web.UseTLS(&tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}})
	return nil
}

func resolveFrom(siteFile, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(siteFile), p)
}

// demoUser gives `facmon demo` its user "demo", with FACMON_DEMO_PASSWORD
// or a random password printed at start; `facmon run` never has a default
// password.
func demoUser(users *auth.Store, svc *service) error {
	pw := os.Getenv("FACMON_DEMO_PASSWORD")
	if pw == "" {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		pw = base64.RawURLEncoding.EncodeToString(b[:])
		fmt.Fprintf(os.Stderr, "facmon demo: console login: user %q, password %q\n", "demo", pw)
	}
	if err := users.Put("demo", auth.Admin, pw); err != nil {
		return fmt.Errorf("demo user: %w", err)
	}
	return nil
}

// user resolves the user of an API request: the console session, HTTP
// Basic credentials or a bearer token that the guard accepted.
func (svc *service) user(r *http.Request) string { return auth.UserOf(r) }

// siteMap is what the console draws of s.
func siteMap(s *site.Site) console.SiteMap {
	m := console.SiteMap{Site: s.ID, Name: s.Name}
	if s.Location != nil {
		m.Timezone = s.Location.String()
	}
	if s.Plan != nil {
		m.Plan = &console.Plan{Width: s.Plan.Width, Height: s.Plan.Height}
	}
	for _, a := range s.Areas {
		m.Areas = append(m.Areas, console.Area{ID: a.ID, Name: a.Name, Map: rect(a.Map)})
	}
	for _, z := range s.Zones {
		m.Zones = append(m.Zones, console.Zone{ID: z.ID, Name: z.Name, Kind: string(z.Kind), Area: z.Area,
			Devices: z.Devices, Camera: z.Camera, Household: z.Household, Map: rect(z.Map)})
	}
	for _, d := range s.Devices {
		m.Devices = append(m.Devices, console.Device{ID: d.ID, Name: d.Name, Kind: d.Kind, Area: d.Area})
	}
	return m
}

func rect(r *site.Rect) *console.Rect {
	if r == nil {
		return nil
	}
	return &console.Rect{X: r.X, Y: r.Y, W: r.W, H: r.H}
}
