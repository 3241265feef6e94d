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

// siteView is one site's status as the centre writes it.
type siteView struct {
	online bool
	// worst is the worst severity of the site's active alarms (0: none).
	worst alarms.Severity
	// active and unacked count the site's alarms by severity (index
	// severity-1): active = raised and not cleared, unacked = waiting for
	// an acknowledgement (active or cleared).
	active, unacked [len(severities)]int
	devices         int
	devicesOffline  int
	devicesFault    int
}

// views computes every site's view from the board, the heartbeats and the
// device table. The centre's own site-offline alarm is not counted: it is
// the online field.
func (c *Centre) views() map[string]siteView {
	out := make(map[string]siteView, len(c.sites))
	for id, s := range c.sites {
		v := siteView{online: s.offline == ""}
		v.devices, v.devicesOffline, v.devicesFault = c.devices.counts(id)
		out[id] = v
	}
	for _, a := range c.board.Alarms(board.ListFilter{}) {
		v, ok := out[a.Site]
		i := int(a.Severity) - 1
		if !ok || a.Rule == SiteOfflineRule || i < 0 || i >= len(severities) {
			continue
		}
		if a.State.Active() {
			v.active[i]++
			if v.worst == 0 || a.Severity < v.worst {
				v.worst = a.Severity
			}
		}
		if a.Unacked() {
			v.unacked[i]++
		}
		out[a.Site] = v
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
		lines = append(lines, c.viewLine(c.sites[id].cfg, &v, now))
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

// viewLine encodes one site's view as a point of StatusMeasurement.
func (c *Centre) viewLine(s *Site, v *siteView, now time.Time) []byte {
	b := lineproto.AppendMeasurement(make([]byte, 0, 512), StatusMeasurement)
	for _, tag := range [...]struct{ k, v string }{{"group", s.Group}, {"name", s.Name}, {"site", s.ID}} {
		if val := lineproto.Clean(tag.v); val != "" {
			b = lineproto.AppendTag(b, tag.k, val)
		}
	}
	online, worst := 0.0, 0.0
	if v.online {
		online = 1
	}
	if v.worst != 0 {
		worst = float64(len(severities) + 1 - int(v.worst)) // critical 4 … warning 1
	}
	active, unacked := 0, 0
	for i := range severities {
		active += v.active[i]
		unacked += v.unacked[i]
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
		field("active_"+sev.String(), float64(v.active[i]))
		field("unacked_"+sev.String(), float64(v.unacked[i]))
	}
	field("devices", float64(v.devices))
	field("devices_offline", float64(v.devicesOffline))
	field("devices_fault", float64(v.devicesFault))
	return lineproto.AppendTime(b, now.UnixNano())
}
