package influx

import (
	"math"
	"slices"
	"strings"
	"sync"

	"facmon/collectors"
	"facmon/internal/lineproto"
)

// StatusMeasurement is where device-status points (Signal "_status") go:
// tags site, area, device and kind, fields status (string: online,
// offline, fault) and online (boolean), so a Grafana state timeline can
// show them without mixing them into the device's own measurement.
const StatusMeasurement = "device_status"

// Reasons a point is not written, the label of facmon_points_dropped_total.
const (
	ReasonInvalid    = "invalid"     // no kind/device/signal, NaN/Inf, time out of InfluxDB's range
	ReasonBadQuality = "bad_quality" // Quality Bad on a reading: it carries no value
	ReasonRejected   = "rejected"    // InfluxDB answered 4xx (not 429) to the batch
	ReasonSpoolFull  = "spool_full"  // the spool's cap deleted it unsent
)

// line is one line-protocol line under construction: one series at one
// time, with the fields of every point merged into it.
type line struct {
	meas   string
	tags   [6][2]string // sorted by key; ntags used
	ntags  int
	fields []field
	inline [6]field // fields' first backing array: no allocation for most lines
	ns     int64
	points int
}

type field struct {
	key    string
	num    float64
	isBool bool
	str    string
	isStr  bool
}

type seriesKey struct {
	meas, site, area, device, kind string
	name, areaName                 string
	ns                             int64
}

// DeviceNames are the site file's names of a device and of its area,
// written with each of its points as the tags "name" and "area_name", so
// that dashboards show them in legends and tables. Each is a function of
// the device id, so they add no series.
type DeviceNames struct {
	Name, AreaName string
}

// encoded is the result of Encode.
type encoded struct {
	lines   [][]byte
	counts  []int // points merged into each line
	dropped map[string]int
}

// encodePoints turns points into line protocol: measurement = Kind, tags
// area, area_name, device, name, site (sorted, escaped, empty ones left
// out; the names from names by device id), one field per signal,
// timestamp in ns. Points of one device at one time are merged into one
// line. Points that cannot be written are counted by reason.
func encodePoints(points []collectors.Point, names map[string]DeviceNames) encoded {
	sc := scratchPool.Get().(*scratch)
	// lines never grows past len(points), so &lines[i] stays put.
	if cap(sc.lines) < len(points) {
		sc.lines = make([]line, 0, len(points))
	}
	lines, index := sc.lines[:0], sc.index
	var out encoded
	for i := range points {
		k, f, reason := prepare(&points[i], names)
		if reason != "" {
			if out.dropped == nil {
				out.dropped = map[string]int{}
			}
			out.dropped[reason]++
			continue
		}
		j, ok := index[k]
		if !ok {
			j = len(lines)
			index[k] = j
			lines = append(lines, line{})
			lines[j].init(k)
		}
		lines[j].set(f)
		lines[j].points++
	}
	buf := make([]byte, 0, 96*len(lines))
	out.lines = make([][]byte, 0, len(lines))
	out.counts = make([]int, 0, len(lines))
	for i := range lines {
		start := len(buf)
		buf = lines[i].appendTo(buf)
		out.lines = append(out.lines, buf[start:len(buf):len(buf)])
		out.counts = append(out.counts, lines[i].points)
	}
	sc.lines = lines
	sc.put()
	return out
}

// scratch is encodePoints' working memory, reused: a line is a few
// hundred bytes, and at a steady rate each message is encoded on its own,
// so allocating them per call made most of the collector's garbage.
type scratch struct {
	lines []line
	index map[seriesKey]int
}

var scratchPool = sync.Pool{New: func() any { return &scratch{index: map[seriesKey]int{}} }}

// maxScratchLines: larger scratch (a backlog's batch) is not kept.
const maxScratchLines = 4096

// put clears the lines used (no strings kept alive) and returns the
// scratch to the pool.
func (sc *scratch) put() {
	if cap(sc.lines) > maxScratchLines {
		return
	}
	clear(sc.lines)
	sc.lines = sc.lines[:0]
	clear(sc.index)
	scratchPool.Put(sc)
}

// prepare validates p and returns its series, its field, or why it is
// dropped.
func prepare(p *collectors.Point, names map[string]DeviceNames) (seriesKey, field, string) {
	k := seriesKey{meas: clean(p.Kind), site: clean(p.Site), area: clean(p.Area), device: clean(p.Device)}
	if n, ok := names[p.Device]; ok {
		k.name, k.areaName = clean(n.Name), clean(n.AreaName)
	}
	if k.meas == "" || strings.HasPrefix(k.meas, "#") || k.device == "" || p.Signal == "" {
		return k, field{}, ReasonInvalid
	}
	if !lineproto.InRange(p.Time) {
		return k, field{}, ReasonInvalid
	}
	k.ns = p.Time.UnixNano()
	if p.Signal == collectors.StatusSignal {
		k.kind, k.meas = k.meas, StatusMeasurement
		return k, field{key: "status", str: collectors.DeviceStatus(p.Value).String(), isStr: true}, ""
	}
	if p.Quality == collectors.Bad {
		return k, field{}, ReasonBadQuality
	}
	if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
		return k, field{}, ReasonInvalid
	}
	f := field{key: fieldKey(p.Signal), num: p.Value, isBool: p.Bool}
	return k, f, ""
}

// fieldKey maps a signal name to a field key; "time" is reserved by
// InfluxDB, so it becomes "time_".
func fieldKey(signal string) string {
	k := clean(signal)
	if k == "time" {
		return "time_"
	}
	return k
}

func (l *line) init(k seriesKey) {
	l.meas, l.ns = k.meas, k.ns
	l.fields = l.inline[:0]
	for _, t := range [6][2]string{{"area", k.area}, {"area_name", k.areaName}, {"device", k.device}, {"kind", k.kind},
		{"name", k.name}, {"site", k.site}} {
		if t[1] != "" {
			l.tags[l.ntags] = t
			l.ntags++
		}
	}
}

// set adds f, replacing an earlier value of the same field (the later
// point wins, as it would in InfluxDB).
func (l *line) set(f field) {
	if f.isStr { // a status line also gets the boolean "online"
		l.fields = append(l.fields[:0], f, field{key: "online", num: b2f(f.str == "online"), isBool: true})
		return
	}
	if i := slices.IndexFunc(l.fields, func(g field) bool { return g.key == f.key }); i >= 0 {
		l.fields[i] = f
		return
	}
	l.fields = append(l.fields, f)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (l *line) appendTo(b []byte) []byte {
	b = lineproto.AppendMeasurement(b, l.meas)
	for _, t := range l.tags[:l.ntags] {
		b = lineproto.AppendTag(b, t[0], t[1])
	}
	for i, f := range l.fields {
		b = lineproto.AppendFieldSep(b, i)
		b = f.appendTo(b)
	}
	return lineproto.AppendTime(b, l.ns)
}

func (f field) appendTo(b []byte) []byte {
	switch {
	case f.isStr:
		return lineproto.AppendString(b, f.key, f.str)
	case f.isBool:
		return lineproto.AppendBool(b, f.key, f.num != 0)
	}
	return lineproto.AppendFloat(b, f.key, f.num)
}

// clean makes an identifier representable in line protocol.
func clean(s string) string { return lineproto.Clean(s) }
