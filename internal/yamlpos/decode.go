package yamlpos

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// The alias budget: a file may expand through aliases to aliasFactor times
// the nodes it holds, plus aliasSlack, so that a "billion laughs" file
// cannot exhaust memory or time.
const (
	aliasFactor = 10
	aliasSlack  = 10000
)

// FieldRef names one key of one decoded struct.
type FieldRef struct {
	Owner any // pointer to the struct
	Key   string
}

// Decoder fills Go structs from a yaml.Node tree, strictly: unknown keys,
// repeated keys and values of the wrong YAML type are all reported, and
// decoding goes on past each of them.
//
// A struct's field is the key its `yaml` tag names (lower-cased field name
// without one; "-" never; ",inline" structs lend it their keys). A struct
// with a Pos field gets where its mapping starts; one with an `At
// map[string]Pos` field gets where each key's value starts. A value's type
// may decode itself through yaml.Unmarshaler or encoding.TextUnmarshaler
// (scalars). YAML merge keys (<<) apply before a mapping's own keys.
type Decoder struct {
	file string
	errs *List
	// Label names the i-th element of the list under key (the last dotted
	// part of the place), e.g. `device "p1"`; false leaves it key[i].
	Label func(key string, elem *yaml.Node, i int) (string, bool)
	// UnknownKey says why key is not one of struct type t's keys (known,
	// sorted); by default `unknown key "k" (want one of a, b)`.
	UnknownKey func(t reflect.Type, key string, known []string) string
	// Fields is where each key's value was written (keys left out or
	// empty are absent); Bad holds the keys whose value was reported as
	// wrong, so that later checks give one mistake one message.
	Fields map[FieldRef]Pos
	Bad    map[FieldRef]bool

	nodes  int
	limit  int
	tooBig bool
}

// NewDecoder makes a decoder for the tree root of file, reporting to errs.
func NewDecoder(file string, errs *List, root *yaml.Node) *Decoder {
	return &Decoder{file: file, errs: errs, Fields: map[FieldRef]Pos{}, Bad: map[FieldRef]bool{},
		limit: aliasFactor*countNodes(root) + aliasSlack}
}

// Decode decodes n into the value v points to.
func (d *Decoder) Decode(n *yaml.Node, v any) {
	d.decode(n, reflect.ValueOf(v).Elem(), where{})
}

// Pos returns where n starts.
func (d *Decoder) Pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

// errf records a mistake at node n.
func (d *Decoder) errf(n *yaml.Node, w where, format string, args ...any) {
	d.errs.Add(d.Pos(n), w.prefix()+format, args...)
}

// resolve follows aliases and counts nodes against the budget; it returns
// nil once the budget is spent.
func (d *Decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if !d.spend(1) {
		return nil
	}
	return n
}

// spend takes n nodes from the budget and reports whether it allowed them.
func (d *Decoder) spend(n int) bool {
	d.nodes += n
	if d.nodes <= d.limit {
		return true
	}
	if !d.tooBig {
		d.tooBig = true
		d.errs.Add(Pos{File: d.file, Line: 1, Col: 1}, "aliases expand the file to more than %d nodes", d.limit)
	}
	return false
}

// countNodes counts the nodes of a tree without following aliases.
func countNodes(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

var (
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	posType             = reflect.TypeFor[Pos]()
	atType              = reflect.TypeFor[map[string]Pos]()
)

// decode decodes n into v, which must be settable.
func (d *Decoder) decode(n *yaml.Node, v reflect.Value, w where) {
	if n = d.resolve(n); n == nil || isNull(n) {
		return // an empty value leaves the default
	}
	switch t := v.Addr().Type(); {
	case t.Implements(unmarshalerType):
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			d.errf(n, w, "%v", err)
		}
		return
	case t.Implements(textUnmarshalerType):
		d.decodeText(n, v, w)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		// A pointer to a block is left nil when the node is no block at
		// all (checks then see it left out, not empty); a pointer to a
		// scalar is set even to a wrong value: the key was written.
		p := reflect.New(v.Type().Elem())
		before := d.errs.Count()
		d.decode(n, p.Elem(), w)
		if d.errs.Count() == before || !isBlock(p.Elem().Type()) || !wrongShape(p.Elem().Type(), n) {
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

// decodeText decodes a scalar through its UnmarshalText.
func (d *Decoder) decodeText(n *yaml.Node, v reflect.Value, w where) {
	if n.Kind != yaml.ScalarNode {
		d.errf(n, w, "want a string, got %s", KindName(n))
		return
	}
	if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
		d.errf(n, w, "%v", err)
	}
}

// wrongShape reports whether n cannot hold a value of type t at all, as
// opposed to holding one with mistakes inside it.
func wrongShape(t reflect.Type, n *yaml.Node) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if p := reflect.PointerTo(t); p.Implements(unmarshalerType) || p.Implements(textUnmarshalerType) {
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

// isBlock reports whether t is decoded from a mapping or a list.
func isBlock(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if p := reflect.PointerTo(t); p.Implements(unmarshalerType) || p.Implements(textUnmarshalerType) {
		return false
	}
	k := t.Kind()
	return k == reflect.Struct || k == reflect.Map || k == reflect.Slice
}

// isNull reports whether n is an empty or null scalar.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// decodeScalar decodes a string, number or boolean.
func (d *Decoder) decodeScalar(n *yaml.Node, v reflect.Value, w where) {
	want := scalarName(v.Kind())
	if n.Kind != yaml.ScalarNode {
		d.errf(n, w, "want %s, got %s", want, KindName(n))
		return
	}
	if v.Kind() == reflect.String {
		v.SetString(n.Value)
		return
	}
	if n.Tag == "!!str" || n.Tag == "!!binary" || n.Tag == "!!timestamp" || n.Decode(v.Addr().Interface()) != nil {
		d.errf(n, w, "want %s, got %s", want, Quote(n.Value))
	}
}

// scalarName says what a Go kind is in a file.
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

// KindName says what a node is, for "want X, got Y".
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return Quote(n.Value)
	}
	return "nothing"
}

// Quote quotes a value for a message, cut to a readable length.
func Quote(s string) string {
	const max = 40
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// decodeSlice decodes a list; elements the Label hook names are labelled
// (`device "p1"`), the others indexed (`schedule[0]`).
func (d *Decoder) decodeSlice(n *yaml.Node, v reflect.Value, w where) {
	if n.Kind != yaml.SequenceNode {
		d.errf(n, w, "want a list, got %s", KindName(n))
		return
	}
	if !d.spend(len(n.Content)) {
		return
	}
	key := w.keys[strings.LastIndex(w.keys, ".")+1:]
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		ew := where{elems: w.elems, keys: fmt.Sprintf("%s[%d]", w.keys, i)}
		if d.Label != nil {
			if label, ok := d.Label(key, Deref(c), i); ok {
				ew = w.parent().elem(label)
			}
		}
		d.decode(c, out.Index(i), ew)
	}
	v.Set(out)
}

// Deref follows aliases without counting them.
func Deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// ScalarAt returns the value of key in mapping n when it is a non-empty
// scalar: the id or name that labels a list element.
func ScalarAt(n *yaml.Node, key string) (string, bool) {
	if n == nil || n.Kind != yaml.MappingNode {
		return "", false
	}
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, val := n.Content[j], n.Content[j+1]
		if k.Value == key && val.Kind == yaml.ScalarNode && val.Value != "" {
			return val.Value, true
		}
	}
	return "", false
}

// decodeMap decodes a mapping into a map (keys decode as scalars: labels
// with string keys, states with integer keys).
func (d *Decoder) decodeMap(n *yaml.Node, v reflect.Value, w where) {
	if n.Kind != yaml.MappingNode {
		d.errf(n, w, "want a mapping, got %s", KindName(n))
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
			d.errf(kn, w, "key %s repeated (first at line %d)", Quote(kn.Value), first)
			continue
		}
		seen[kn.Value] = kn.Line
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(n.Content[i+1], e, w.key(kn.Value))
		out.SetMapIndex(k, e)
	}
	v.Set(out)
}

// structFields caches Fields.
var structFields sync.Map // reflect.Type -> map[string][]int

// Fields returns the yaml keys of struct type t and the index of each
// one's field (for FieldByIndex).
func Fields(t reflect.Type) map[string][]int {
	if m, ok := structFields.Load(t); ok {
		return m.(map[string][]int)
	}
	m := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case name == "-" || !f.IsExported():
		case opts == "inline" && f.Type.Kind() == reflect.Struct:
			for k, sub := range Fields(f.Type) {
				m[k] = append([]int{i}, sub...)
			}
		case name == "":
			m[strings.ToLower(f.Name)] = []int{i}
		default:
			m[name] = []int{i}
		}
	}
	structFields.Store(t, m)
	return m
}

// keysOf returns the keys of a struct type, sorted.
func keysOf(t reflect.Type) []string {
	var keys []string
	for k := range Fields(t) {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// decodeStruct decodes a mapping into a struct: it fills the struct's Pos
// and At, records where each key's value was written, and reports
// unknown and repeated keys.
func (d *Decoder) decodeStruct(n *yaml.Node, v reflect.Value, w where) {
	if n.Kind != yaml.MappingNode {
		d.errf(n, w, "want a mapping, got %s", KindName(n))
		return
	}
	d.mergeKeys(n, v, w)
	if f := v.FieldByName("Pos"); f.IsValid() && f.Type() == posType && f.CanSet() {
		f.Set(reflect.ValueOf(d.Pos(n)))
	}
	at := map[string]Pos{}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i])
		if k == nil {
			return
		}
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errf(k, w, "key %s repeated (first at line %d)", Quote(k.Value), first)
			continue
		}
		seen[k.Value] = k.Line
		if d.decodeField(k, n.Content[i+1], v, w) {
			at[k.Value] = d.Pos(Deref(n.Content[i+1]))
		}
	}
	if f := v.FieldByName("At"); f.IsValid() && f.Type() == atType && f.CanSet() {
		f.Set(reflect.ValueOf(at))
	}
}

// decodeField decodes the value of one key of a struct; false if the key
// is not one of the struct's.
func (d *Decoder) decodeField(k, val *yaml.Node, v reflect.Value, w where) bool {
	if k.Kind != yaml.ScalarNode {
		d.errf(k, w, "want a key name, got %s", KindName(k))
		return false
	}
	idx, ok := Fields(v.Type())[k.Value]
	if !ok {
		d.unknownKey(k, v.Type(), w)
		return false
	}
	ref := FieldRef{v.Addr().Interface(), k.Value}
	r := d.resolve(val)
	if r == nil || isNull(r) {
		return true // an empty value counts as left out, defaults and all
	}
	fv := v.FieldByIndex(idx)
	before := d.errs.Count()
	d.decode(val, fv, w.key(k.Value))
	if d.errs.Count() > before && wrongShape(fv.Type(), r) {
		// Checks skip a key whose value was already reported, so one
		// mistake gives one message.
		d.Bad[ref] = true
		return true
	}
	d.Fields[ref] = d.Pos(r)
	return true
}

// unknownKey reports a key the struct does not have.
func (d *Decoder) unknownKey(k *yaml.Node, t reflect.Type, w where) {
	known := keysOf(t)
	if d.UnknownKey != nil {
		d.errf(k, w, "%s", d.UnknownKey(t, k.Value, known))
		return
	}
	d.errf(k, w, "unknown key %s (want one of %s)", Quote(k.Value), strings.Join(known, ", "))
}

// mergeKeys applies YAML merge keys (<<: *anchor) before the mapping's own
// keys, which override them.
func (d *Decoder) mergeKeys(n *yaml.Node, v reflect.Value, w where) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.Tag != "!!merge" {
			continue
		}
		val := d.resolve(n.Content[i+1])
		if val == nil {
			return
		}
		if val.Kind == yaml.SequenceNode {
			for _, m := range val.Content {
				d.mergeOne(m, v, w)
			}
			continue
		}
		d.mergeOne(val, v, w)
	}
}

// mergeOne merges one mapping into a struct.
func (d *Decoder) mergeOne(m *yaml.Node, v reflect.Value, w where) {
	if m = d.resolve(m); m == nil {
		return
	}
	if m.Kind != yaml.MappingNode {
		d.errf(m, w, "merge key (<<) wants a mapping, got %s", KindName(m))
		return
	}
	d.decodeStruct(m, v, w)
}
