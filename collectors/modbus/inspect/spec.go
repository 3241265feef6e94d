package inspect

import (
	"fmt"
	"strconv"
	"strings"

	"facmon/collectors/modbus/codec"
)

// Spec is one signal an engineer names for a site-file snippet:
// NAME=TABLE:ADDRESS[:TYPE[:SCALE[:UNIT]]], e.g.
// level=holding:100:uint16:0.01:m. TYPE defaults to bool in a bit table
// and uint16 in a register table; a bool in a register is TYPE "bitN"; a
// word and byte order follows the type after a slash (float32/CDAB).
type Spec struct {
	Name  string
	Field codec.Field
	// Scale is 1 when not given.
	Scale float64
	Unit  string
}

// ParseSpec reads one --signal value. Errors name the part at fault.
func ParseSpec(s string) (Spec, error) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return Spec{}, fmt.Errorf("signal %q: want NAME=TABLE:ADDRESS[:TYPE[:SCALE[:UNIT]]]", s)
	}
	if err := checkName(name); err != nil {
		return Spec{}, fmt.Errorf("signal %q: %w", s, err)
	}
	parts := strings.Split(rest, ":")
	if len(parts) < 2 || len(parts) > 5 {
		return Spec{}, fmt.Errorf("signal %q: want NAME=TABLE:ADDRESS[:TYPE[:SCALE[:UNIT]]]", s)
	}
	sp := Spec{Name: name, Scale: 1}
	f, err := parseField(parts)
	if err != nil {
		return Spec{}, fmt.Errorf("signal %q: %w", s, err)
	}
	sp.Field = f
	if len(parts) > 3 && parts[3] != "" {
		sc, err := strconv.ParseFloat(parts[3], 64)
		if err != nil || sc == 0 || sc != sc || sc > 1e15 || sc < -1e15 {
			return Spec{}, fmt.Errorf("signal %q: scale %q: want a non-zero number", s, parts[3])
		}
		sp.Scale = sc
	}
	if len(parts) > 4 {
		sp.Unit = parts[4]
		if strings.ContainsAny(sp.Unit, "{}[],:#'\"\n\t") {
			return Spec{}, fmt.Errorf("signal %q: unit %q: no YAML punctuation", s, sp.Unit)
		}
	}
	return sp, nil
}

// parseField reads TABLE:ADDRESS[:TYPE] through the codec.
func parseField(parts []string) (codec.Field, error) {
	addr, err := strconv.Atoi(parts[1])
	if err != nil {
		return codec.Field{}, fmt.Errorf("address %q: want 0..65535", parts[1])
	}
	typ, order := "", ""
	var bit *int
	if len(parts) > 2 {
		typ, order, _ = strings.Cut(parts[2], "/")
	}
	if n, ok := strings.CutPrefix(typ, "bit"); ok {
		b, err := strconv.Atoi(n)
		if err != nil {
			return codec.Field{}, fmt.Errorf("type %q: want bitN with N 0..15", typ)
		}
		typ, bit = "bool", &b
	}
	if typ == "" && parts[0] != "coil" && parts[0] != "discrete" {
		typ = "uint16"
	}
	return codec.Parse(parts[0], typ, order, addr, bit)
}

// checkName checks a signal name as the site file wants it.
func checkName(n string) error {
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return fmt.Errorf("name %q: use a-z, 0-9 and _", n)
		}
	}
	if n == "time" || n == "_status" {
		return fmt.Errorf("name %q is reserved", n)
	}
	return nil
}
