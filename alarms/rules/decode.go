package rules

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds how many nodes a file may expand to through aliases.
const maxNodes = 1 << 18

// decoder fills the rule structs from a yaml.Node tree, strictly: unknown
// and repeated keys and values of the wrong type are reported, and decoding
// goes on past each.
type decoder struct {
	file  string
	errs  *errorList
	nodes int
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	posType         = reflect.TypeFor[Pos]()
	atType          = reflect.TypeFor[map[string]Pos]()
)

// pos returns where n starts.
func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

// errf records a mistake at n, prefixed by the place ctx.
func (d *decoder) errf(n *yaml.Node, ctx, format string, args ...any) {
	if ctx != "" {
		format = ctx + ": " + format
	}
	d.errs.add(d.pos(n), format, args...)
}

// resolve follows aliases; it returns nil once the node budget is spent.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if d.nodes++; d.nodes == maxNodes {
		d.errs.add(Pos{File: d.file, Line: 1, Col: 1}, "file too large: more than %d nodes", maxNodes)
	}
	if d.nodes >= maxNodes {
		return nil
	}
	return n
}

// decode decodes n into the settable v.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, ctx string) {
	if n = d.resolve(n); n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return
	}
	if v.Addr().Type().Implements(textUnmarshaler) {
		d.decodeText(n, v, ctx)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), ctx)
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(n, v, ctx)
	case reflect.Slice:
		d.decodeSlice(n, v, ctx)
	case reflect.Map:
		d.decodeMap(n, v, ctx)
	default:
		d.decodeScalar(n, v, ctx)
	}
}

// decodeText decodes a scalar through its UnmarshalText.
func (d *decoder) decodeText(n *yaml.Node, v reflect.Value, ctx string) {
	if n.Kind != yaml.ScalarNode {
		d.errf(n, ctx, "want a string, got %s", kindName(n))
		return
	}
	if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
		d.errf(n, ctx, "%v", err)
	}
}

// decodeScalar decodes a string, number or boolean.
func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, ctx string) {
	want := map[reflect.Kind]string{reflect.String: "a string", reflect.Bool: "true or false",
		reflect.Float64: "a number", reflect.Int: "an integer"}[v.Kind()]
	if n.Kind != yaml.ScalarNode {
		d.errf(n, ctx, "want %s, got %s", want, kindName(n))
		return
	}
	if v.Kind() == reflect.String {
		v.SetString(n.Value)
		return
	}
	if n.Tag == "!!str" || n.Decode(v.Addr().Interface()) != nil {
		d.errf(n, ctx, "want %s, got %q", want, n.Value)
	}
}

// decodeSlice decodes a list; elements with a name are labelled by it.
func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, ctx string) {
	if n.Kind != yaml.SequenceNode {
		d.errf(n, ctx, "want a list, got %s", kindName(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		d.decode(c, out.Index(i), elemLabel(ctx, c, i))
	}
	v.Set(out)
}

// elemLabel names list element i: `rule "tank-low"` or `rules[3]`.
func elemLabel(ctx string, n *yaml.Node, i int) string {
	if n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == "name" && n.Content[j+1].Kind == yaml.ScalarNode {
				word := strings.TrimSuffix(ctx[strings.LastIndex(ctx, " ")+1:], "s")
				return fmt.Sprintf("%s %q", word, n.Content[j+1].Value)
			}
		}
	}
	return fmt.Sprintf("%s[%d]", ctx, i)
}

// decodeMap decodes a mapping with string keys.
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, ctx string) {
	if n.Kind != yaml.MappingNode {
		d.errf(n, ctx, "want a mapping, got %s", kindName(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := reflect.ValueOf(k.Value)
		if m.MapIndex(key).IsValid() {
			d.errf(k, ctx, "key %q repeated", k.Value)
			continue
		}
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, e, join(ctx, k.Value))
		m.SetMapIndex(key, e)
	}
	v.Set(m)
}

// join appends a key to a place: `rule "x": threshold.below`.
func join(ctx, key string) string {
	switch {
	case ctx == "":
		return key
	case strings.HasSuffix(ctx, `"`) || strings.HasSuffix(ctx, "]"):
		return ctx + ": " + key
	}
	return ctx + "." + key
}

// kindName says what a node is, for "want X, got Y".
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}
