package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// WatchdogAlert is the alertname of the heartbeat, as Prometheus names its
// always-firing alert.
const WatchdogAlert = "Watchdog"

// Alertmanager posts alerts to every member of an Alertmanager cluster
// through the v2 API (POST /api/v2/alerts). The cluster's gossip
// deduplicates, so the message counts as delivered when one member took it.
type Alertmanager struct {
	Name string
	// URLs are the members' base URLs (http://host:9093).
	URLs []string
	// Resend is how often active alerts are posted again; a firing alert's
	// endsAt is four Resends ahead, so Alertmanager resolves it by itself
	// only if facmon stops sending (its resolve_timeout semantics).
	Resend time.Duration
	// Header is sent with every post (an authenticating proxy in front).
	Header http.Header
	Client *http.Client
	Now    func() time.Time
}

// postableAlert is one element of the v2 API's body.
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Send posts m's alerts to every member at once.
func (a *Alertmanager) Send(ctx context.Context, m *Message) (Result, error) {
	body, _ := json.Marshal(a.alerts(m))
	results := make([]Result, len(a.URLs))
	errs := make([]error, len(a.URLs))
	var wg sync.WaitGroup
	for i, u := range a.URLs {
		wg.Go(func() {
			results[i], errs[i] = post(ctx, a.Client, a.Name, strings.TrimRight(u, "/")+"/api/v2/alerts", body, a.Header)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			return results[i], nil
		}
	}
	return results[0], joinSendErrors(a.Name, errs)
}

// joinSendErrors makes one error of every member's: retryable if any is.
func joinSendErrors(name string, errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	retry := false
	for _, e := range errs {
		retry = retry || Retryable(e)
	}
	return &SendError{Receiver: name, URL: "every alertmanager", Retryable: retry, Err: errors.Join(errs...)}
}

// alerts turns m into v2 alerts. The labels are the ids routes match on,
// and the community's name (site_name): a group centre's Alertmanager
// receives many sites' alerts, and its duty people read the name.
func (a *Alertmanager) alerts(m *Message) []postableAlert {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	t := now()
	out := make([]postableAlert, 0, len(m.Alerts))
	for _, al := range m.Alerts {
		p := postableAlert{
			Labels: map[string]string{
				"alertname": al.Rule, "site": al.Site, "site_name": al.SiteName, "area": al.Area, "device": al.Device,
				"severity": al.Severity, "kind": al.Kind,
			},
			Annotations:  annotations(m, al),
			StartsAt:     al.StartsAt,
			EndsAt:       t.Add(4 * a.resend()),
			GeneratorURL: al.ConsoleURL,
		}
		if !al.EndsAt.IsZero() {
			p.EndsAt = al.EndsAt
		}
		dropEmpty(p.Labels)
		dropEmpty(p.Annotations)
		out = append(out, p)
	}
	return out
}

// annotations are what an Alertmanager template can show of al: the
// summary and description facmon's own messages carry (community, place,
// local time, household, action), the names and local times apart, the
// links and the alarm's id.
func annotations(m *Message, al Alert) map[string]string {
	one := *m
	one.Alerts, one.Count, one.AckURL = []Alert{al}, 1, ""
	return map[string]string{
		"summary": one.Summary(), "description": one.Markdown(),
		"message": al.Message, "cite": al.Cite, "clause": al.Cite, "console": al.ConsoleURL, "alarm_id": al.ID,
		"site_name": al.SiteName, "area_name": al.AreaName, "device_name": al.DeviceName, "zone": al.Zone,
		"household": al.Household, "action": al.Action, "camera": al.CameraURL,
		"severity_name": al.SeverityName, "time": al.At, "ended_at": al.EndedAt,
	}
}

// resend returns the resend period, a minute if unset.
func (a *Alertmanager) resend() time.Duration {
	if a.Resend > 0 {
		return a.Resend
	}
	return time.Minute
}

// dropEmpty removes empty values: Alertmanager treats an empty label as
// absent anyway, and an empty annotation only clutters the message.
func dropEmpty(m map[string]string) {
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
}
