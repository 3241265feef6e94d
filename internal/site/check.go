package site

import (
	"fmt"
	"regexp"
	"time"
	_ "time/tzdata" // an edge box or a scratch image may have no zoneinfo

	"facmon/collectors"
)

// checker runs the checks that need the whole decoded file: ids, cross
// references, enumerations and ranges.
type checker struct {
	file   string
	errs   *errorList
	fields map[fieldRef]Pos
	bad    map[fieldRef]bool
	site   *Site
}

// errf records a mistake at p.
func (c *checker) errf(p Pos, format string, args ...any) {
	if p.Line == 0 { // a block left out of the file: point at its top
		p = Pos{File: c.file, Line: 1, Col: 1}
	}
	c.errs.Add(p, format, args...)
}

// has reports whether key was written in the struct owner points to.
func (c *checker) has(owner any, key string) bool {
	_, ok := c.fields[fieldRef{Owner: owner, Key: key}]
	return ok
}

// unreported reports whether key's value in owner was not already
// reported by the decoder, so that a check may still say it is missing
// or empty: one mistake, one message.
func (c *checker) unreported(owner any, key string) bool {
	return !c.bad[fieldRef{Owner: owner, Key: key}]
}

// at returns where key's value was written in owner, or else where owner
// itself starts, for messages about missing keys.
func (c *checker) at(owner any, key string, start Pos) Pos {
	if p, ok := c.fields[fieldRef{Owner: owner, Key: key}]; ok {
		return p
	}
	return start
}

// idPattern is what ids may hold: they become InfluxDB tags and MQTT topic
// levels, so no spaces, slashes, wildcards or upper case.
var idPattern = regexp.MustCompile(`^[a-z0-9_-]+$`)

// idRule is the message tail for a bad id.
const idRule = "use only a-z, 0-9, _ and - (ids become InfluxDB tags and MQTT topic levels)"

// label names a list element in messages: `device "p1"`, or `device #3`
// when it has no id.
func label(what, id string, i int) string {
	if id == "" {
		return fmt.Sprintf("%s #%d", what, i+1)
	}
	return fmt.Sprintf("%s %s", what, quote(id))
}

// checkID reports a missing or malformed id written under key.
func (c *checker) checkID(owner any, key, id string, start Pos, ctx string) {
	switch {
	case id == "" && c.unreported(owner, key):
		c.errf(start, "%s: %s missing", ctx, key)
	case id == "":
	case !idPattern.MatchString(id):
		c.errf(c.at(owner, key, start), "%s: %s invalid: %s", ctx, key, idRule)
	}
}

// unique records id in seen and reports it when it was already there.
func (c *checker) unique(seen map[string]Pos, id string, p Pos, ctx string) {
	if id == "" {
		return
	}
	if first, dup := seen[id]; dup {
		c.errf(p, "%s: defined twice (first at line %d)", ctx, first.Line)
		return
	}
	seen[id] = p
}

// check runs every check on the decoded site.
func (c *checker) check() {
	s := c.site
	c.checkSite()
	c.checkAreas()
	c.checkGateways()
	devices := map[string]Pos{}
	for i := range s.Devices {
		d := &s.Devices[i]
		ctx := label("device", d.ID, i)
		c.unique(devices, d.ID, c.at(d, "id", d.Pos), ctx)
		c.checkDevice(d, ctx)
	}
	c.checkStorage()
	c.checkMQTT()
	c.checkHTTP()
	c.checkRules()
	c.checkNotify()
	c.checkZones()
	c.checkCentre()
	c.checkReport()
}

// checkSite checks the site id and timezone.
func (c *checker) checkSite() {
	s := c.site
	start := Pos{File: c.file, Line: 1, Col: 1}
	if s.Pos.Line != 0 {
		start = s.Pos
	}
	switch {
	case s.ID == "" && c.unreported(s, "site"):
		c.errf(start, "site id missing (site: <id>)")
	case s.ID != "" && !idPattern.MatchString(s.ID):
		c.errf(c.at(s, "site", start), "site id invalid: %s", idRule)
	}
	if s.Timezone == "" {
		return
	}
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil || s.Timezone == "Local" {
		c.errf(c.at(s, "timezone", start), "timezone %s unknown (write an IANA name like Asia/Shanghai)", quote(s.Timezone))
		return
	}
	s.Location = loc
}

// checkAreas checks area ids.
func (c *checker) checkAreas() {
	seen := map[string]Pos{}
	for i := range c.site.Areas {
		a := &c.site.Areas[i]
		ctx := label("area", a.ID, i)
		c.checkID(a, "id", a.ID, a.Pos, ctx)
		c.unique(seen, a.ID, c.at(a, "id", a.Pos), ctx)
	}
}

// checkDevice checks one device and its signals.
func (c *checker) checkDevice(d *Device, ctx string) {
	c.checkID(d, "id", d.ID, d.Pos, ctx)
	switch {
	case d.Kind == "" && c.unreported(d, "kind"):
		c.errf(d.Pos, "%s: kind missing", ctx)
	case d.Kind != "" && !KnownKind(d.Kind):
		c.errf(c.at(d, "kind", d.Pos), "%s: kind %s unknown%s", ctx, quote(d.Kind), kindHint(d.Kind))
	}
	switch {
	case d.Area == "" && c.unreported(d, "area"):
		c.errf(d.Pos, "%s: area missing", ctx)
	case d.Area != "" && !c.site.hasArea(d.Area):
		c.errf(c.at(d, "area", d.Pos), "%s: area %s not defined under areas", ctx, quote(d.Area))
	}
	for k := range d.Labels {
		if k == "" {
			c.errf(c.at(d, "labels", d.Pos), "%s: labels: empty label name", ctx)
		}
	}
	c.checkSignals(d, ctx)
	c.checkDeviceModbus(d, ctx)
	c.checkDeviceMQTT(d, ctx)
}

// kindHint suggests a known kind, or points at the list.
func kindHint(kind string) string {
	if h := didYouMean(kind, kindNames()); h != "" {
		return h
	}
	return " (see the list in docs/site-file.md)"
}

// hasArea reports whether the area id is defined.
func (s *Site) hasArea(id string) bool {
	_, ok := s.Area(id)
	return ok
}

// checkSignals checks the signals of one device.
func (c *checker) checkSignals(d *Device, ctx string) {
	seen := map[string]Pos{}
	for i := range d.Signals {
		sg := &d.Signals[i]
		sctx := ctx + ": " + label("signal", sg.Name, i)
		c.checkSignalName(sg, sctx)
		c.unique(seen, sg.Name, c.at(sg, "name", sg.Pos), sctx)
		c.checkSignalType(sg, sctx)
		c.checkRegister(sg, sctx)
	}
}

// checkSignalName checks a signal's name, which is an InfluxDB field.
func (c *checker) checkSignalName(sg *Signal, ctx string) {
	if sg.Name == collectors.StatusSignal {
		c.errf(c.at(sg, "name", sg.Pos), "%s: name is reserved for device-status points", ctx)
		return
	}
	c.checkID(sg, "name", sg.Name, sg.Pos, ctx)
}

// checkSignalType checks type, unit and scale.
func (c *checker) checkSignalType(sg *Signal, ctx string) {
	switch sg.Type {
	case "":
		if c.unreported(sg, "type") {
			c.errf(sg.Pos, "%s: type missing (analog, counter or state)", ctx)
		}
	case Analog, Counter:
		if sg.Unit == "" && c.unreported(sg, "unit") {
			c.errf(sg.Pos, "%s: unit missing", ctx)
		}
	case State:
	default:
		c.errf(c.at(sg, "type", sg.Pos), "%s: type %s unknown (want analog, counter or state)", ctx, quote(string(sg.Type)))
	}
	if sg.Scale != nil && c.unreported(sg, "scale") && (*sg.Scale == 0 || isNaNOrInf(*sg.Scale)) {
		c.errf(c.at(sg, "scale", sg.Pos), "%s: scale must be a finite number other than 0", ctx)
	}
	if isNaNOrInf(sg.Offset) {
		c.errf(c.at(sg, "offset", sg.Pos), "%s: offset must be a finite number", ctx)
	}
}

// isNaNOrInf reports whether f is not a finite number.
func isNaNOrInf(f float64) bool { return f != f || f-f != 0 }

// checkNonNegative reports a negative integer written under key.
func (c *checker) checkNonNegative(owner any, key string, v int, start Pos, ctx string) {
	if v < 0 {
		c.errf(c.at(owner, key, start), "%s: %s must not be negative", ctx, key)
	}
}

// checkPositive reports a value written as zero or less under key; an
// unwritten key takes its default later.
func (c *checker) checkPositive(owner any, key string, v int64, start Pos, ctx string) {
	if c.has(owner, key) && v <= 0 {
		c.errf(c.at(owner, key, start), "%s: %s must be greater than 0", ctx, key)
	}
}
