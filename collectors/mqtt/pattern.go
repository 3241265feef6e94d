package mqtt

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
// {signal} (a + that is captured). Any other {name} is an uncaptured +.
type Pattern struct {
	text   string
	levels []level
	hash   bool // ends in #
}

// Compile parses a topic pattern once; Match is then allocation-free.
func Compile(pattern string) (*Pattern, error) {
	if pattern == "" {
		return nil, fmt.Errorf("topic pattern is empty")
	}
	p := &Pattern{text: pattern}
	parts := strings.Split(pattern, "/")
	for i, s := range parts {
		l, err := compileLevel(s, i == len(parts)-1)
		if err != nil {
			return nil, fmt.Errorf("topic pattern %q: level %d %q: %w", pattern, i+1, s, err)
		}
		if s == "#" {
			p.hash = true
			break
		}
		p.levels = append(p.levels, l)
	}
	return p, nil
}

func compileLevel(s string, last bool) (level, error) {
	switch {
	case s == "#":
		if !last {
			return level{}, fmt.Errorf("# must be the last level")
		}
		return level{}, nil
	case s == "+":
		return level{wild: true}, nil
	case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && len(s) > 2:
		return level{wild: true, part: partNames[s]}, nil
	case strings.ContainsAny(s, "+#{}\x00"):
		return level{}, fmt.Errorf("wildcards and {parts} must fill a whole level")
	}
	return level{literal: s}, nil
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
