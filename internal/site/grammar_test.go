package site_test

import (
	"fmt"
	"strings"
	"testing"

	"facmon/collectors"
	"facmon/collectors/modbus"
	"facmon/collectors/mqtt"
	"facmon/internal/site"
)

// grammarCase is one edge of the protocol grammar, as plain values that
// are written into a site file for `facmon check` (site.Parse) and set on
// a loaded site for the collectors' constructors. Empty strings and nil
// pointers leave a key out.
type grammarCase struct {
	name string
	// Modbus gateway, device unit, register.
	transport string
	unit      *int
	maxGap    *int
	table     string
	typ       string
	order     string
	bit       *int
	// MQTT subscription topic and format, a device's own topic.
	topic, format, devTopic string
	// ok is the verdict both must give; else msg is in both errors.
	ok  bool
	msg string
}

func num(n int) *int { return &n }

// yaml writes the case as a site file.
func (c grammarCase) yaml() string {
	var b strings.Builder
	b.WriteString("site: t\ntimezone: UTC\nareas:\n  - id: a\n")
	b.WriteString("mqtt:\n  url: tcp://127.0.0.1:1883\n  subscriptions:\n")
	fmt.Fprintf(&b, "    - {topic: %q, format: %q}\n", c.topic, c.format)
	b.WriteString("modbus:\n  gateways:\n    - {id: g")
	if c.transport != "" {
		fmt.Fprintf(&b, ", transport: %s", c.transport)
	}
	fmt.Fprintf(&b, ", address: %q", c.address())
	if c.maxGap != nil {
		fmt.Fprintf(&b, ", max_gap: %d", *c.maxGap)
	}
	b.WriteString("}\ndevices:\n  - id: d\n    kind: pump\n    area: a\n    modbus: {gateway: g")
	if c.unit != nil {
		fmt.Fprintf(&b, ", unit: %d", *c.unit)
	}
	fmt.Fprintf(&b, "}\n    signals:\n      - {name: s, type: analog, unit: m, modbus: {table: %s, address: 10, type: %q", c.table, c.typ)
	if c.order != "" {
		fmt.Fprintf(&b, ", order: %s", c.order)
	}
	if c.bit != nil {
		fmt.Fprintf(&b, ", bit: %d", *c.bit)
	}
	b.WriteString("}}\n")
	fmt.Fprintf(&b, "  - id: m\n    kind: water_tank\n    area: a\n    mqtt: {topic: %q}\n    signals:\n      - {name: level, type: analog, unit: m}\n", c.devTopic)
	return b.String()
}

func (c grammarCase) address() string {
	if c.transport == "rtu" {
		return "/dev/ttyS0"
	}
	return "127.0.0.1:1502"
}

// apply sets the case's values on a site loaded from the valid base.
func (c grammarCase) apply(s *site.Site) {
	g := &s.Modbus.Gateways[0]
	g.Transport, g.Address, g.MaxGap = c.transport, c.address(), c.maxGap
	if c.maxGap == nil {
		g.MaxGap = num(site.DefaultGatewayMaxGap)
	}
	d, _ := s.Device("d")
	d.Modbus.Unit = 0
	if c.unit != nil {
		d.Modbus.Unit = *c.unit
	}
	r := d.Signals[0].Modbus
	r.Table, r.Type, r.Order, r.Bit = c.table, c.typ, c.order, c.bit
	s.MQTT.Subscriptions[0].Topic, s.MQTT.Subscriptions[0].Format = c.topic, c.format
	m, _ := s.Device("m")
	m.MQTT.Topic = c.devTopic
}

// base is a valid case; the table changes one thing at a time.
var base = grammarCase{transport: "tcp", unit: num(1), table: "holding", typ: "uint16",
	topic: "t/{device}/{signal}", format: "json", devTopic: "meters/m", ok: true}

func grammarCases() []grammarCase {
	var cs []grammarCase
	add := func(name string, change func(*grammarCase), ok bool, msg string) {
		c := base
		change(&c)
		c.name, c.ok, c.msg = name, ok, msg
		cs = append(cs, c)
	}
	for _, tr := range []string{"tcp", "rtu", "rtu-over-tcp"} {
		minUnit := map[string]int{"tcp": 0, "rtu": 1, "rtu-over-tcp": 1}[tr]
		for _, u := range []int{0, 1, 247, 248} {
			ok := u >= minUnit && u <= 247
			msg := ""
			if !ok {
				msg = fmt.Sprintf("unit %d out of range %d..247", u, minUnit)
			}
			add(fmt.Sprintf("%s unit %d", tr, u), func(c *grammarCase) { c.transport, c.unit = tr, num(u) }, ok, msg)
		}
	}
	add("empty transport", func(c *grammarCase) { c.transport = "" }, false, "transport missing (tcp, rtu, rtu-over-tcp)")
	add("unknown transport", func(c *grammarCase) { c.transport = "udp" }, false, `transport "udp" unknown`)
	for gap, ok := range map[int]bool{-1: false, 0: true, 120: true, 121: false} {
		msg := ""
		if !ok {
			msg = "max_gap must be 0..120"
		}
		add(fmt.Sprintf("max_gap %d", gap), func(c *grammarCase) { c.maxGap = num(gap) }, ok, msg)
	}
	for _, typ := range []string{"bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"} {
		for _, order := range []string{"ABCD", "CDAB", "BADC", "DCBA"} {
			add(typ+" "+order, func(c *grammarCase) {
				c.typ, c.order = typ, order
				if typ == "bool" {
					c.bit = num(3)
				}
			}, true, "")
		}
	}
	add("unknown order", func(c *grammarCase) { c.typ, c.order = "float32", "ABDC" }, false, `order "ABDC" unknown`)
	add("unknown type", func(c *grammarCase) { c.typ = "flaot32" }, false, `type "flaot32" unknown`)
	add("bool without bit", func(c *grammarCase) { c.typ = "bool" }, false, "type bool in table holding needs bit (0..15)")
	add("bit 16", func(c *grammarCase) { c.typ, c.bit = "bool", num(16) }, false, "bit 16 out of range 0..15")
	add("bit on a coil", func(c *grammarCase) { c.table, c.typ, c.bit = "coil", "bool", num(1) }, false, "bit only applies to holding and input registers")
	add("float in a coil", func(c *grammarCase) { c.table, c.typ = "coil", "float32" }, false, `type "float32" not possible in table coil`)
	add("bit of a float", func(c *grammarCase) { c.typ, c.bit = "float32", num(1) }, false, "bit needs type bool, not float32")
	add("unnamed part {foo}", func(c *grammarCase) { c.topic = "t/{foo}/{device}/{signal}" }, false, "{foo} unknown (want {device}, {area}, {signal})")
	add("# in the middle", func(c *grammarCase) { c.topic = "t/#/{device}/{signal}" }, false, "# only as the last level")
	add("# in a level", func(c *grammarCase) { c.topic = "t/a#/{device}/{signal}" }, false, "# only as a whole level")
	add("# at the end", func(c *grammarCase) { c.topic, c.format = "t/{device}/{signal}/#", "plain" }, true, "")
	add("+ in a level", func(c *grammarCase) { c.topic = "t/a+/{device}/{signal}" }, false, "+ only as a whole level")
	add("part twice", func(c *grammarCase) { c.topic = "t/{device}/{device}/{signal}" }, false, "{device} twice")
	add("format missing", func(c *grammarCase) { c.format = "" }, false, "format missing (json, plain, influx)")
	add("format alias", func(c *grammarCase) { c.format = "line" }, false, `format "line" unknown`)
	add("device topic with a part", func(c *grammarCase) { c.devTopic = "meters/{device}" }, false, "topic of one device takes no named parts")
	add("device topic # in the middle", func(c *grammarCase) { c.devTopic = "meters/#/x" }, false, "# only as the last level")
	return cs
}

// TestGrammarCheckAndCollectorsAgree is issue 11's grammar table: for each
// edge input, `facmon check` (site.Parse) and the collectors' constructors
// (modbus.New, mqtt.New) accept it or refuse it alike, with the same
// message.
func TestGrammarCheckAndCollectorsAgree(t *testing.T) {
	for _, c := range grammarCases() {
		t.Run(c.name, func(t *testing.T) {
			_, checkErr := site.Parse("site.yaml", []byte(c.yaml()))
			s, err := site.Parse("site.yaml", []byte(base.yaml()))
			if err != nil {
				t.Fatalf("base site: %v", err)
			}
			c.apply(s)
			sink := collectors.SinkFunc(nil)
			_, mbErr := modbus.New(modbus.Options{Site: s, Sink: sink})
			_, mqErr := mqtt.New(mqtt.Options{Site: s, Sink: sink})
			t.Logf("check: %v | modbus.New: %v | mqtt.New: %v", verdict(checkErr), verdict(mbErr), verdict(mqErr))
			for who, err := range map[string]error{"facmon check": checkErr, "modbus.New": mbErr, "mqtt.New": mqErr} {
				switch {
				case c.ok && err != nil:
					t.Errorf("%s refuses a good site: %v", who, err)
				case !c.ok && (who == "facmon check" || strings.Contains(checkErr.Error(), map[string]string{"modbus.New": "modbus", "mqtt.New": "mqtt"}[who])) && (err == nil || !strings.Contains(err.Error(), c.msg)):
					t.Errorf("%s: %v; want a refusal saying %q", who, err, c.msg)
				}
			}
			if !c.ok && mbErr == nil && mqErr == nil {
				t.Errorf("no collector refuses what facmon check refuses: %v", checkErr)
			}
		})
	}
}

func verdict(err error) string {
	if err == nil {
		return "accepts"
	}
	return "refuses"
}
