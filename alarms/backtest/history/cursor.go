package history

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"facmon/collectors"
	"facmon/internal/site"
)

// StatusMeasurement is where collectors/influx writes device status points.
const StatusMeasurement = "device_status"

// page is one answer of a series, stored compactly: the time of each row
// and, per row, one value per signal of the cursor (NaN: no value).
type page struct {
	times []int64
	vals  []float64
	// bools says which signals came as booleans.
	bools []bool
	// rows is how many rows the server returned (a full page means there
	// may be more).
	rows int
	err  error
}

// cursor pages through one (measurement, device) in time order. It holds
// the page being read and fetches the next one ahead, in the background,
// so that InfluxDB works while the engine does.
type cursor struct {
	c        *client
	s        *site.Site
	dev      *site.Device
	meas     string
	status   bool
	from, to int64
	pageSize int
	// cols maps a column (field key) to the signal index; sigs are the
	// signal names. Both are read-only once built: fetches run in the
	// background.
	cols map[string]int
	sigs []string

	cur  page
	i    int
	next chan page // the page being fetched, nil when none
	done bool
	// last is the time of the last row read, tied how many rows at that
	// time were read (series of one device that differ in another tag
	// share timestamps; OFFSET skips the ones already read).
	last, tied int64
	started    bool
}

// newCursor returns the cursor of d's status, or of d's signals (only
// those in only, when it is not nil).
func newCursor(c *client, s *site.Site, d *site.Device, status bool, only []string, from, to time.Time, pageSize int) *cursor {
	cu := &cursor{c: c, s: s, dev: d, meas: d.Kind, status: status,
		from: from.UnixNano(), to: to.UnixNano(), pageSize: pageSize, cols: map[string]int{}}
	if status {
		cu.meas = StatusMeasurement
		cu.cols["status"], cu.sigs = 0, []string{collectors.StatusSignal}
	} else {
		for _, sg := range d.Signals {
			if only != nil && !slices.Contains(only, sg.Name) {
				continue
			}
			cu.cols[fieldKey(sg.Name)] = len(cu.sigs)
			cu.sigs = append(cu.sigs, sg.Name)
		}
	}
	return cu
}

// at returns the time of the current row; ok is false at the end.
func (cu *cursor) at(ctx context.Context, f *fetcher) (int64, bool, error) {
	for cu.i >= len(cu.cur.times) {
		if cu.done && cu.next == nil {
			return 0, false, nil
		}
		if cu.next == nil {
			cu.prefetch(ctx, f)
		}
		var p page
		select {
		case p = <-cu.next:
		case <-ctx.Done():
			return 0, false, ctx.Err()
		}
		cu.next = nil
		if p.err != nil {
			return 0, false, p.err
		}
		cu.cur, cu.i = p, 0
		if p.rows < cu.pageSize {
			cu.done = true
		} else {
			cu.advanceTo(p)
			cu.prefetch(ctx, f)
		}
	}
	return cu.cur.times[cu.i], true, nil
}

// advanceTo moves the paging position past page p.
func (cu *cursor) advanceTo(p page) {
	for _, t := range p.times {
		if cu.started && t == cu.last {
			cu.tied++
		} else {
			cu.last, cu.tied, cu.started = t, 1, true
		}
	}
}

// prefetch starts fetching the page after the paging position.
func (cu *cursor) prefetch(ctx context.Context, f *fetcher) {
	cu.next = make(chan page, 1)
	lower, offset := cu.from, int64(0)
	if cu.started {
		lower, offset = cu.last, cu.tied
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE \"site\" = %s AND \"device\" = %s AND time >= %d AND time < %d ORDER BY time ASC LIMIT %d",
		cu.fields(), cu.c.from(cu.meas), quoteString(cu.s.ID), quoteString(cu.dev.ID), lower, cu.to, cu.pageSize)
	if offset > 0 {
		q += fmt.Sprintf(" OFFSET %d", offset)
	}
	out := cu.next
	f.run(ctx, func() { out <- cu.fetch(ctx, q) })
}

// fields is the select list: the cursor's fields, quoted.
func (cu *cursor) fields() string {
	keys := make([]string, 0, len(cu.cols))
	for k := range cu.cols {
		keys = append(keys, quoteIdent(k))
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

// fieldKey is the field a signal is stored in: collectors/influx writes
// the reserved name "time" as "time_".
func fieldKey(signal string) string {
	if signal == "time" {
		return "time_"
	}
	return signal
}

// fetch runs one page query.
func (cu *cursor) fetch(ctx context.Context, q string) page {
	ss, err := cu.c.query(ctx, q)
	if err != nil {
		return page{err: fmt.Errorf("device %q, measurement %q: %w", cu.dev.ID, cu.meas, err)}
	}
	p := page{bools: make([]bool, len(cu.sigs))}
	for _, sr := range ss {
		for _, vals := range sr.Values {
			p.rows++
			if err := cu.row(&p, sr.Columns, vals); err != nil {
				return page{err: fmt.Errorf("device %q, measurement %q: %w", cu.dev.ID, cu.meas, err)}
			}
		}
	}
	return p
}

// row appends one answer row to p.
func (cu *cursor) row(p *page, cols []string, vals []any) error {
	base := len(p.vals)
	for range cu.sigs {
		p.vals = append(p.vals, math.NaN())
	}
	var at int64
	for i, col := range cols {
		if i >= len(vals) {
			break
		}
		if col == "time" {
			t, err := nsTime(vals[i])
			if err != nil {
				return err
			}
			at = t
			continue
		}
		j, ok := cu.cols[col]
		if !ok || vals[i] == nil {
			continue
		}
		p.vals[base+j] = cu.value(p, j, vals[i])
	}
	p.times = append(p.times, at)
	return nil
}

// value reads one field value (NaN when it is not a reading facmon wrote).
func (cu *cursor) value(p *page, j int, v any) float64 {
	if cu.status {
		st, ok := parseStatus(v)
		if !ok {
			return math.NaN()
		}
		return float64(st)
	}
	switch x := v.(type) {
	case bool:
		p.bools[j] = true
		if x {
			return 1
		}
		return 0
	case json.Number:
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) {
			return math.NaN()
		}
		return f
	}
	return math.NaN()
}

// points appends the points of the current row to buf and moves on.
func (cu *cursor) points(buf []collectors.Point) []collectors.Point {
	n := len(cu.sigs)
	t := time.Unix(0, cu.cur.times[cu.i])
	for j, v := range cu.cur.vals[cu.i*n : (cu.i+1)*n] {
		if math.IsNaN(v) {
			continue
		}
		p := collectors.Point{Site: cu.s.ID, Area: cu.dev.Area, Kind: cu.dev.Kind, Device: cu.dev.ID,
			Signal: cu.sigs[j], Value: v, Bool: cu.cur.bools[j], Time: t}
		if cu.status && collectors.DeviceStatus(v) != collectors.Online {
			p.Quality = collectors.Bad
		}
		buf = append(buf, p)
	}
	cu.i++
	return buf
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
