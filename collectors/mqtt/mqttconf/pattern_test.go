package mqttconf

import (
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern, topic string
		ok             bool
		want           Parts
	}{
		{"estate/{area}/tank/{device}/level", "estate/pump-room/tank/t1/level", true, Parts{Area: "pump-room", Device: "t1"}},
		{"estate/{area}/tank/{device}/level", "estate/pump-room/tank/t1/temp", false, Parts{}},
		{"estate/{area}/tank/{device}/level", "estate/pump-room/tank/t1", false, Parts{}},
		{"estate/{area}/tank/{device}/level", "estate/pump-room/tank/t1/level/x", false, Parts{}},
		{"estate/rooms/{device}/{signal}", "estate/rooms/r1/temperature", true, Parts{Device: "r1", Signal: "temperature"}},
		{"estate/+/x", "estate//x", true, Parts{}},
		{"estate/#", "estate", true, Parts{}},
		{"estate/#", "estate/a/b/c", true, Parts{}},
		{"estate/#", "estates/a", false, Parts{}},
		{"#", "any/thing", true, Parts{}},
		{"#", "$SYS/broker/load", false, Parts{}},
		{"+/broker", "$SYS/broker", false, Parts{}},
		{"$SYS/#", "$SYS/broker", true, Parts{}},
		{"a", "a/", false, Parts{}},
		{"a/+", "a/", true, Parts{}},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+" "+tc.topic, func(t *testing.T) {
			p, err := Compile(tc.pattern)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, ok := p.Match(tc.topic)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("Match = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestPatternFilterAndErrors(t *testing.T) {
	p, err := Compile("estate/{area}/tank/{device}/#")
	if err != nil {
		t.Fatal(err)
	}
	if f := p.Filter(); f != "estate/+/tank/+/#" {
		t.Errorf("Filter = %q", f)
	}
	for _, bad := range []string{"", "a/#/b", "a/b+/c", "a/{device}x", "a/x#", "a/{other}/c", "{device}/{device}", "a/\x00"} {
		t.Run(bad, func(t *testing.T) {
			if _, err := Compile(bad); err == nil {
				t.Errorf("Compile(%q) accepted", bad)
			}
		})
	}
}

// refMatch is the MQTT matching rule written the obvious way.
func refMatch(filter, topic string) bool {
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false
	}
	f, tp := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, l := range f {
		if l == "#" {
			return true
		}
		if i >= len(tp) || (l != "+" && l != tp[i]) {
			return false
		}
	}
	return len(f) == len(tp)
}

func FuzzMatch(f *testing.F) {
	f.Add("estate/{area}/tank/{device}/level", "estate/pump-room/tank/t1/level")
	f.Add("estate/#", "estate")
	f.Add("+/+", "a/")
	f.Add("#", "$SYS/x")
	f.Fuzz(func(t *testing.T, pattern, topic string) {
		p, err := Compile(pattern)
		if err != nil {
			return
		}
		parts, ok := p.Match(topic)
		if want := refMatch(p.Filter(), topic); ok != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, topic, ok, want)
		}
		if ok {
			levels := strings.Split(topic, "/")
			for _, v := range []string{parts.Area, parts.Device, parts.Signal} {
				if strings.Contains(v, "/") || (v != "" && !contains(levels, v)) {
					t.Fatalf("captured %q is not a level of %q", v, topic)
				}
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
