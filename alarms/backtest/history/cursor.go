package history

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"facmon/collectors"
	"facmon/internal/site"
)

// StatusMeasurement is where collectors/influx writes device status points.
const StatusMeasurement = "device_status"

// row is one timestamp of one series with its points.
type row struct {
	at  int64 // ns
	pts []collectors.Point
}

// cursor pages through one (measurement, device) in time order: it holds
// one page at a time and fetches the next when it runs out.
type cursor struct {
	c        *client
	s        *site.Site
	dev      *site.Device
	meas     string
	status   bool
	from, to int64
	pageSize int
	// fields maps a column (field key) to the signal it carries.
	fields map[string]string

	page []row
	// last is the time of the last row returned, and tied how many rows at
	// that time have been returned (series of one device that differ in
	// another tag share timestamps; OFFSET skips the ones already read).
	last, tied int64
	started    bool
	done       bool
}

func newCursor(c *client, s *site.Site, d *site.Device, status bool, from, to time.Time, pageSize int) *cursor {
	cu := &cursor{c: c, s: s, dev: d, meas: d.Kind, status: status,
		from: from.UnixNano(), to: to.UnixNano(), pageSize: pageSize, fields: map[string]string{}}
	if status {
		cu.meas = StatusMeasurement
		cu.fields["status"] = collectors.StatusSignal
		return cu
	}
	for _, sg := range d.Signals {
		key := sg.Name
		if key == "time" {
			key = "time_" // collectors/influx writes the reserved name so
		}
		cu.fields[key] = sg.Name
	}
	return cu
}

// peek returns the next row without consuming it; ok is false at the end.
func (cu *cursor) peek(ctx context.Context) (*row, bool, error) {
	if len(cu.page) == 0 && !cu.done {
		if err := cu.fetch(ctx); err != nil {
			return nil, false, err
		}
	}
	if len(cu.page) == 0 {
		return nil, false, nil
	}
	return &cu.page[0], true, nil
}

// next consumes the row peek returned.
func (cu *cursor) next() {
	r := cu.page[0]
	cu.page[0] = row{}
	cu.page = cu.page[1:]
	if cu.started && r.at == cu.last {
		cu.tied++
	} else {
		cu.last, cu.tied, cu.started = r.at, 1, true
	}
}

// fetch reads the next page.
func (cu *cursor) fetch(ctx context.Context) error {
	lower := cu.from
	offset := int64(0)
	if cu.started {
		lower, offset = cu.last, cu.tied
	}
	q := fmt.Sprintf("SELECT * FROM %s WHERE \"site\" = %s AND \"device\" = %s AND time >= %d AND time < %d ORDER BY time ASC LIMIT %d",
		cu.c.from(cu.meas), quoteString(cu.s.ID), quoteString(cu.dev.ID), lower, cu.to, cu.pageSize)
	if offset > 0 {
		q += fmt.Sprintf(" OFFSET %d", offset)
	}
	ss, err := cu.c.query(ctx, q)
	if err != nil {
		return fmt.Errorf("device %q, measurement %q: %w", cu.dev.ID, cu.meas, err)
	}
	n := 0
	cu.page = cu.page[:0]
	for _, sr := range ss {
		for _, vals := range sr.Values {
			n++
			r, err := cu.row(sr.Columns, vals)
			if err != nil {
				return fmt.Errorf("device %q, measurement %q: %w", cu.dev.ID, cu.meas, err)
			}
			if len(r.pts) > 0 || cu.status {
				cu.page = append(cu.page, r)
			} else {
				cu.page = append(cu.page, row{at: r.at}) // keeps the tie count right
			}
		}
	}
	if n < cu.pageSize {
		cu.done = true
	}
	return nil
}

// row turns one answer row into points of the device's signals.
func (cu *cursor) row(cols []string, vals []any) (row, error) {
	var r row
	for i, col := range cols {
		if i >= len(vals) {
			break
		}
		if col == "time" {
			t, err := nsTime(vals[i])
			if err != nil {
				return r, err
			}
			r.at = t
			continue
		}
		sig, ok := cu.fields[col]
		if !ok || vals[i] == nil {
			continue
		}
		p, ok := cu.point(sig, vals[i])
		if ok {
			r.pts = append(r.pts, p)
		}
	}
	for i := range r.pts {
		r.pts[i].Time = time.Unix(0, r.at)
	}
	return r, nil
}

// point makes the point a collector would have published for one field.
func (cu *cursor) point(sig string, v any) (collectors.Point, bool) {
	p := collectors.Point{Site: cu.s.ID, Area: cu.dev.Area, Kind: cu.dev.Kind, Device: cu.dev.ID, Signal: sig}
	if cu.status {
		st, ok := parseStatus(v)
		if !ok {
			return p, false
		}
		p.Value = float64(st)
		if st != collectors.Online {
			p.Quality = collectors.Bad
		}
		return p, true
	}
	switch x := v.(type) {
	case bool:
		p.Bool = true
		if x {
			p.Value = 1
		}
	case json.Number:
		f, err := x.Float64()
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return p, false
		}
		p.Value = f
	default:
		return p, false // a string field is not a reading facmon wrote
	}
	return p, true
}

// parseStatus reads the status field ("online", "offline", "fault").
func parseStatus(v any) (collectors.DeviceStatus, bool) {
	s, _ := v.(string)
	for _, st := range []collectors.DeviceStatus{collectors.Online, collectors.Offline, collectors.Fault} {
		if st.String() == s {
			return st, true
		}
	}
	return 0, false
}

// nsTime reads a time column answered with epoch=ns.
func nsTime(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("time column %v: not a number (epoch=ns ignored?)", v)
	}
	t, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("time column %v: %w", v, err)
	}
	return t, nil
}
