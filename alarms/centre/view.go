package centre

import (
	"context"
	"time"

	"facmon/alarms"
	"facmon/alarms/board"
	"facmon/internal/lineproto"
)

// StatusMeasurement is the InfluxDB measurement of the group's view: one
// point per site on change and every Options.StatusEvery (schema in
// docs/centre.md and docs/storage.md).
const StatusMeasurement = "site_status"

// DefaultStatusEvery is how often every site's status is written even
// when nothing changed, so that a dashboard's last() finds a point in a
// short time range.
const DefaultStatusEvery = time.Minute

// LineSink stores line-protocol lines durably: the spooled InfluxDB
// writer of collectors/influx (alarms/influxout uses the same).
type LineSink interface {
	PublishLines(ctx context.Context, lines [][]byte) error
}

// severities are the severity ranks from worst; index i counts
// alarms.Severity(i+1).
var severities = [...]alarms.Severity{alarms.Critical, alarms.Major, alarms.Minor, alarms.Warning}

// SiteView is one site's status as the centre writes it (a point of
// StatusMeasurement).
type SiteView struct {
	// Online is false while the site's site-offline alarm is raised.
	Online bool
	// Worst is the worst severity of the site's active alarms (0: none).
	Worst alarms.Severity
	// Active and Unacked count the site's alarms by severity (index
	// severity-1): active = raised and not cleared, unacked = waiting for
	// an acknowledgement (active or cleared).
	Active, Unacked [len(severities)]int
	// Devices, DevicesOffline and DevicesFault count the site's devices
	// whose status is known, and those offline, faulty.
	Devices, DevicesOffline, DevicesFault int
}

// Count adds one of the site's alarms, as the board holds it, to v. The
// centre's own site-offline alarm is not counted: it is Online.
func (v *SiteView) Count(a *board.Alarm) {
	i := int(a.Severity) - 1
	if a.Rule == SiteOfflineRule || i < 0 || i >= len(severities) {
		return
	}
	if a.State.Active() {
		v.Active[i]++
		if v.Worst == 0 || a.Severity < v.Worst {
			v.Worst = a.Severity
		}
	}
	if a.Unacked() {
		v.Unacked[i]++
	}
}

// views computes every site's view from the board, the heartbeats and the
// device table.
func (c *Centre) views() map[string]SiteView {
	out := make(map[string]SiteView, len(c.sites))
	for id, s := range c.sites {
		v := SiteView{Online: s.offline == ""}
		v.Devices, v.DevicesOffline, v.DevicesFault = c.devices.counts(id)
		out[id] = v
	}
	for _, a := range c.board.Alarms(board.ListFilter{}) {
		if v, ok := out[a.Site]; ok {
			v.Count(&a)
			out[a.Site] = v
		}
	}
	return out
}

// writeViews writes the view of each site that changed since it was last
// written, and of every site when StatusEvery has passed. What the sink
// refuses is tried again on the next tick.
func (c *Centre) writeViews(ctx context.Context, now time.Time) {
	if c.o.Store == nil || !lineproto.InRange(now) {
		return
	}
	all := now.Sub(c.viewsAt) >= c.o.StatusEvery
	views := c.views()
	var lines [][]byte
	for _, id := range c.siteIDs() {
		v := views[id]
		if w, ok := c.written[id]; ok && w == v && !all {
			continue
		}
		lines = append(lines, v.Line(c.sites[id].cfg, now))
	}
	if len(lines) == 0 {
		return
	}
	if err := c.o.Store.PublishLines(ctx, lines); err != nil {
		c.m.statusPoints.WithLabelValues("failed").Add(float64(len(lines)))
		c.log.Error("site status not written to InfluxDB; will try again", "points", len(lines), "err", err)
		return
	}
	c.m.statusPoints.WithLabelValues("written").Add(float64(len(lines)))
	c.written = views
	if all {
		c.viewsAt = now
	}
}

// Line encodes v as the point of StatusMeasurement of site s at now.
func (v *SiteView) Line(s *Site, now time.Time) []byte {
	b := lineproto.AppendMeasurement(make([]byte, 0, 512), StatusMeasurement)
	for _, tag := range [...]struct{ k, v string }{{"group", s.Group}, {"name", s.Name}, {"site", s.ID}} {
		if val := lineproto.Clean(tag.v); val != "" {
			b = lineproto.AppendTag(b, tag.k, val)
		}
	}
	online, worst := 0.0, 0.0
	if v.Online {
		online = 1
	}
	if v.Worst != 0 {
		worst = float64(len(severities) + 1 - int(v.Worst)) // critical 4 … warning 1
	}
	active, unacked := 0, 0
	for i := range severities {
		active += v.Active[i]
		unacked += v.Unacked[i]
	}
	n := 0
	field := func(k string, x float64) {
		b = lineproto.AppendFieldSep(b, n)
		b = lineproto.AppendFloat(b, k, x)
		n++
	}
	field("online", online)
	field("worst", worst)
	field("active", float64(active))
	field("unacked", float64(unacked))
	for i, sev := range severities {
		field("active_"+sev.String(), float64(v.Active[i]))
		field("unacked_"+sev.String(), float64(v.Unacked[i]))
	}
	field("devices", float64(v.Devices))
	field("devices_offline", float64(v.DevicesOffline))
	field("devices_fault", float64(v.DevicesFault))
	return lineproto.AppendTime(b, now.UnixNano())
}
