package rules

import (
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// field is one YAML key of a struct, possibly inside an inlined struct.
type field struct {
	index []int
}

// fieldsOf maps the YAML keys of struct type t to their fields, following
// ",inline" structs.
func fieldsOf(t reflect.Type) map[string]field {
	out := map[string]field{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-" || !f.IsExported():
		case opts == "inline":
			for k, sub := range fieldsOf(f.Type) {
				out[k] = field{index: append([]int{i}, sub.index...)}
			}
		case name != "":
			out[name] = field{index: []int{i}}
		}
	}
	return out
}

// decodeStruct decodes a mapping into a struct, reporting unknown and
// repeated keys, and fills its Pos and At fields.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, ctx string) {
	if n.Kind != yaml.MappingNode {
		d.errf(n, ctx, "want a mapping, got %s", kindName(n))
		return
	}
	if f := v.FieldByName("Pos"); f.IsValid() && f.Type() == posType {
		f.Set(reflect.ValueOf(d.pos(n)))
	}
	at := map[string]Pos{}
	fields := fieldsOf(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		f, ok := fields[k.Value]
		switch {
		case !ok:
			d.errf(k, ctx, "unknown key %q (want one of %s)", k.Value, keyList(fields))
			continue
		case hasKey(at, k.Value):
			d.errf(k, ctx, "key %q repeated", k.Value)
			continue
		}
		at[k.Value] = d.pos(val)
		d.decode(val, v.FieldByIndex(f.index), join(ctx, k.Value))
	}
	if f := v.FieldByName("At"); f.IsValid() && f.Type() == atType {
		f.Set(reflect.ValueOf(at))
	}
}

func hasKey(m map[string]Pos, k string) bool { _, ok := m[k]; return ok }

// keyList lists the allowed keys, sorted.
func keyList(fields map[string]field) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
