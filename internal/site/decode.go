package site

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// aliasFactor bounds how many nodes one file may expand to through
// aliases, as a multiple of the nodes it holds, so that a "billion laughs"
// file cannot exhaust memory or time.
const (
	aliasFactor = 10
	aliasSlack  = 10000
)

// fieldRef names one key of one decoded struct.
type fieldRef struct {
	owner any // pointer to the struct
	key   string
}

// decoder turns a yaml.Node tree into the site structs, strictly: unknown
// keys, repeated keys and values of the wrong YAML type are all reported,
// and decoding goes on past each of them.
type decoder struct {
	file   string
	errs   *errorList
	fields map[fieldRef]Pos  // where each key's value was written
	bad    map[fieldRef]bool // keys whose value was reported as wrong
	nodes  int
	limit  int
	tooBig bool
}

// where is the place being decoded in the file's own names: the enclosing
// list elements (`device "p1": signal "level"`) and the keys below the last
// of them (`modbus.unit`).
type where struct {
	elems string
	keys  string
}

// key returns the place one key deeper.
func (w where) key(k string) where {
	if w.keys != "" {
		k = w.keys + "." + k
	}
	return where{elems: w.elems, keys: k}
}

// parent returns the place one key up: the list's parent when w is a list.
func (w where) parent() where {
	i := strings.LastIndex(w.keys, ".")
	if i < 0 {
		return where{elems: w.elems}
	}
	return where{elems: w.elems, keys: w.keys[:i]}
}

// elem returns the place inside a list element labelled like `device "p1"`.
func (w where) elem(label string) where {
	if p := w.String(); p != "" {
		label = p + ": " + label
	}
	return where{elems: label}
}

// String returns the place as a message prefix, without the trailing ": ".
func (w where) String() string {
	switch {
	case w.elems == "":
		return w.keys
	case w.keys == "":
		return w.elems
	}
	return w.elems + ": " + w.keys
}

// prefix returns the place followed by ": ", or "" at the top.
func (w where) prefix() string {
	if s := w.String(); s != "" {
		return s + ": "
	}
	return ""
}

// pos returns where n starts.
func (d *decoder) pos(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

// errf records a mistake at node n.
func (d *decoder) errf(n *yaml.Node, w where, format string, args ...any) {
	d.errs.add(d.pos(n), w.prefix()+format, args...)
}

// resolve follows aliases and counts nodes against the budget; it returns nil
// once the budget is spent.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if !d.spend(1) {
		return nil
	}
	return n
}

// spend takes n nodes from the budget and reports whether it allowed them.
func (d *decoder) spend(n int) bool {
	d.nodes += n
	if d.nodes <= d.limit {
		return true
	}
	if !d.tooBig {
		d.tooBig = true
		d.errs.add(Pos{File: d.file, Line: 1, Col: 1}, "aliases expand the file to more than %d nodes", d.limit)
	}
	return false
}

// countNodes counts the nodes of a tree without following aliases.
func countNodes(n *yaml.Node) int {
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// decode decodes n into v, which must be settable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, w where) {
	if n = d.resolve(n); n == nil {
		return
	}
	if isNull(n) {
		return // an empty value leaves the default
	}
	if v.Addr().Type().Implements(unmarshalerType) {
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			d.errf(n, w, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		before := d.errs.count()
		d.decode(n, p.Elem(), w)
		if d.errs.count() == before || !wrongShape(p.Elem().Type(), n) {
			v.Set(p)
		}
	case reflect.Struct:
		d.decodeStruct(n, v, w)
	case reflect.Slice:
		d.decodeSlice(n, v, w)
	case reflect.Map:
		d.decodeMap(n, v, w)
	default:
		d.decodeScalar(n, v, w)
	}
}

// wrongShape reports whether n cannot hold a value of type t at all, as
// opposed to holding one with mistakes inside it.
func wrongShape(t reflect.Type, n *yaml.Node) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return n.Kind != yaml.MappingNode
	case reflect.Slice:
		return n.Kind != yaml.SequenceNode
	}
	return true
}

// isNull reports whether n is an empty or null scalar.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// decodeScalar decodes a string, number or boolean.
func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, w where) {
	want := scalarName(v.Kind())
	if n.Kind != yaml.ScalarNode {
		d.errf(n, w, "want %s, got %s", want, nodeKindName(n))
		return
	}
	if v.Kind() == reflect.String {
		v.SetString(n.Value)
		return
	}
	if n.Tag == "!!str" || n.Tag == "!!binary" || n.Tag == "!!timestamp" {
		d.errf(n, w, "want %s, got %s", want, quote(n.Value))
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.errf(n, w, "want %s, got %s", want, quote(n.Value))
	}
}

// scalarName says what a Go kind is in a site file.
func scalarName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "an integer"
}

// nodeKindName says what a node is, for "want X, got Y".
func nodeKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return quote(n.Value)
	}
	return "nothing"
}

// quote quotes a value for a message, cut to a readable length.
func quote(s string) string {
	const max = 40
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// decodeSlice decodes a list; elements of lists of named things get a label
// from their id (`device "p1"`) for messages.
func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, w where) {
	if n.Kind != yaml.SequenceNode {
		d.errf(n, w, "want a list, got %s", nodeKindName(n))
		return
	}
	if !d.spend(len(n.Content)) {
		return
	}
	label, idKey := listLabel(w.keys)
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		ew := where{elems: w.elems, keys: fmt.Sprintf("%s[%d]", w.keys, i)}
		if label != "" {
			ew = w.parent().elem(elemLabel(label, idKey, c, i))
		}
		d.decode(c, out.Index(i), ew)
	}
	v.Set(out)
}

// listLabel returns how elements of the list under key are named in
// messages, and which of their keys holds the name.
func listLabel(key string) (label, idKey string) {
	switch key[strings.LastIndex(key, ".")+1:] {
	case "areas":
		return "area", "id"
	case "devices":
		return "device", "id"
	case "signals":
		return "signal", "name"
	case "gateways":
		return "gateway", "id"
	case "subscriptions":
		return "subscription", "topic"
	}
	return "", ""
}

// elemLabel names the i-th list element: `device "p1"`, or `device #3`
// when it has no usable id.
func elemLabel(label, idKey string, n *yaml.Node, i int) string {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			k, val := n.Content[j], n.Content[j+1]
			if k.Value == idKey && val.Kind == yaml.ScalarNode && val.Value != "" {
				return fmt.Sprintf("%s %s", label, quote(val.Value))
			}
		}
	}
	return fmt.Sprintf("%s #%d", label, i+1)
}

// decodeMap decodes labels (string keys) and states (integer keys).
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, w where) {
	if n.Kind != yaml.MappingNode {
		d.errf(n, w, "want a mapping, got %s", nodeKindName(n))
		return
	}
	out := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := d.resolve(n.Content[i])
		if kn == nil {
			return
		}
		k := reflect.New(v.Type().Key()).Elem()
		d.decodeScalar(kn, k, w)
		if first, dup := seen[kn.Value]; dup {
			d.errf(kn, w, "key %s repeated (first at line %d)", quote(kn.Value), first)
			continue
		}
		seen[kn.Value] = kn.Line
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(n.Content[i+1], e, w.key(kn.Value))
		out.SetMapIndex(k, e)
	}
	v.Set(out)
}
