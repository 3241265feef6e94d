package mqttconf

import (
	"fmt"
	"strings"
)

// Part names a topic level a pattern captures.
type Part uint8

// Named parts a topic pattern may capture.
const (
	partNone Part = iota
	// PartArea is {area}.
	PartArea
	// PartDevice is {device}.
	PartDevice
	// PartSignal is {signal}.
	PartSignal
)

var partNames = map[string]Part{"{area}": PartArea, "{device}": PartDevice, "{signal}": PartSignal}

// TopicParts are the named parts a topic pattern may hold, each as a
// whole level, as the site file writes them.
var TopicParts = []string{"{device}", "{area}", "{signal}"}

// Parts are the named levels a topic matched.
type Parts struct {
	Area, Device, Signal string
}

// level is one compiled level of a pattern.
type level struct {
	literal string // "" for wildcards
	wild    bool   // + or a named part
	part    Part   // what a wildcard captures
}

// Pattern is a compiled topic pattern: MQTT topic levels, where a level
// may be a literal, +, # (last), or a named part {area}, {device},
// {signal} (a + that is captured), each at most once.
type Pattern struct {
	text   string
	levels []level
	hash   bool // ends in #
}

// PatternError says why a topic pattern is refused.
type PatternError struct {
	Pattern string
	Level   int    // 1-based; 0 for the pattern as a whole
	Msg     string // what is wrong, e.g. "# only as the last level"
}

func (e *PatternError) Error() string {
	if e.Level == 0 {
		return fmt.Sprintf("topic pattern %q: %s", e.Pattern, e.Msg)
	}
	return fmt.Sprintf("topic pattern %q: level %d: %s", e.Pattern, e.Level, e.Msg)
}

// Compile parses a topic pattern once; Match is then allocation-free. It
// is the one grammar of topic patterns: `facmon check` reports its
// errors, the collector refuses the same patterns.
func Compile(pattern string) (*Pattern, error) {
	if pattern == "" {
		return nil, &PatternError{Pattern: pattern, Msg: "empty"}
	}
	p := &Pattern{text: pattern}
	parts := strings.Split(pattern, "/")
	seen := map[Part]bool{}
	for i, s := range parts {
		l, msg := compileLevel(s, i == len(parts)-1, seen)
		if msg != "" {
			return nil, &PatternError{Pattern: pattern, Level: i + 1, Msg: msg}
		}
		if s == "#" {
			p.hash = true
			break
		}
		p.levels = append(p.levels, l)
	}
	return p, nil
}

// compileLevel compiles one level, or says what is wrong with it.
func compileLevel(s string, last bool, seen map[Part]bool) (level, string) {
	switch {
	case s == "#":
		if !last {
			return level{}, "# only as the last level"
		}
	case strings.Contains(s, "#"):
		return level{}, "# only as a whole level"
	case s == "+":
		return level{wild: true}, ""
	case strings.Contains(s, "+"):
		return level{}, "+ only as a whole level"
	case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
		part, ok := partNames[s]
		switch {
		case !ok:
			return level{}, s + " unknown (want " + strings.Join(TopicParts, ", ") + ")"
		case seen[part]:
			return level{}, s + " twice"
		}
		seen[part] = true
		return level{wild: true, part: part}, ""
	case strings.ContainsAny(s, "{}"):
		return level{}, "named parts like {device} only as a whole level"
	case strings.ContainsRune(s, 0):
		return level{}, "NUL not allowed"
	}
	return level{literal: s}, ""
}

// String returns the pattern as written.
func (p *Pattern) String() string { return p.text }

// Filter is the MQTT subscription filter of the pattern: named parts
// become +.
func (p *Pattern) Filter() string {
	var b strings.Builder
	for i, l := range p.levels {
		if i > 0 {
			b.WriteByte('/')
		}
		if l.wild {
			b.WriteByte('+')
		} else {
			b.WriteString(l.literal)
		}
	}
	if p.hash {
		if len(p.levels) > 0 {
			b.WriteByte('/')
		}
		b.WriteByte('#')
	}
	return b.String()
}

// Match reports whether topic matches the pattern and returns the named
// parts it captured. It follows MQTT: + matches one level (also an empty
// one), # matches the parent level and any below it, and wildcards do not
// match topics starting with $ at their first level.
func (p *Pattern) Match(topic string) (Parts, bool) {
	var got Parts
	if strings.HasPrefix(topic, "$") && (len(p.levels) == 0 || p.levels[0].wild) {
		return got, false
	}
	pos := 0 // start of the next topic level; -1 once the topic is used up
	for _, l := range p.levels {
		if pos < 0 {
			return got, false
		}
		var seg string
		if end := strings.IndexByte(topic[pos:], '/'); end < 0 {
			seg, pos = topic[pos:], -1
		} else {
			seg, pos = topic[pos:pos+end], pos+end+1
		}
		if !l.wild && seg != l.literal {
			return got, false
		}
		switch l.part {
		case PartArea:
			got.Area = seg
		case PartDevice:
			got.Device = seg
		case PartSignal:
			got.Signal = seg
		}
	}
	return got, p.hash || pos < 0
}

// Captures reports which named parts the pattern captures.
func (p *Pattern) Captures(part Part) bool {
	for _, l := range p.levels {
		if l.part == part {
			return true
		}
	}
	return false
}
