package site

import (
	"reflect"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// posType is the embedded Pos that every located struct carries.
var posType = reflect.TypeFor[Pos]()

// inlineSecrets are keys that would put a secret in the file, by the struct
// they would sit in, with where the secret goes instead.
var inlineSecrets = map[reflect.Type]map[string]string{
	reflect.TypeFor[Influx]():   {"token": "token_file or env FACMON_INFLUX_TOKEN"},
	reflect.TypeFor[MQTT]():     {"password": "password_file or env FACMON_MQTT_PASSWORD"},
	reflect.TypeFor[Notify]():   {"ack_secret": "ack_secret_file or env FACMON_ACK_SECRET"},
	reflect.TypeFor[Receiver](): {"secret": "secret_file or env FACMON_NOTIFY_<NAME>_SECRET"},
}

// structFields maps each yaml key of a struct type to its field index.
var structFields sync.Map // reflect.Type -> map[string]int

// fieldsOf returns the yaml keys of struct type t.
func fieldsOf(t reflect.Type) map[string]int {
	if m, ok := structFields.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = i
	}
	structFields.Store(t, m)
	return m
}

// decodeStruct decodes a mapping into a struct: it fills the struct's Pos,
// records where each key's value was written, and reports unknown,
// repeated and inline-secret keys.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, w where) {
	if n.Kind != yaml.MappingNode {
		d.errf(n, w, "want a mapping, got %s", nodeKindName(n))
		return
	}
	d.mergeKeys(n, v, w)
	if f, ok := v.Type().FieldByName("Pos"); ok && f.Anonymous && f.Type == posType {
		v.FieldByIndex(f.Index).Set(reflect.ValueOf(d.pos(n)))
	}
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
			d.errf(k, w, "key %s repeated (first at line %d)", quote(k.Value), first)
			continue
		}
		seen[k.Value] = k.Line
		d.decodeField(k, n.Content[i+1], v, w)
	}
}

// decodeField decodes the value of one key of a struct.
func (d *decoder) decodeField(k, val *yaml.Node, v reflect.Value, w where) {
	if k.Kind != yaml.ScalarNode {
		d.errf(k, w, "want a key name, got %s", nodeKindName(k))
		return
	}
	idx, ok := fieldsOf(v.Type())[k.Value]
	if !ok {
		d.unknownKey(k, v.Type(), w)
		return
	}
	ref := fieldRef{v.Addr().Interface(), k.Value}
	r := d.resolve(val)
	if r == nil || isNull(r) {
		return // an empty value counts as left out, defaults and all
	}
	before := d.errs.count()
	d.decode(val, v.Field(idx), w.key(k.Value))
	if d.errs.count() > before && wrongShape(v.Field(idx).Type(), r) {
		// Checks skip a key whose value was already reported, so one
		// mistake gives one message.
		d.bad[ref] = true
		return
	}
	d.fields[ref] = d.pos(r)
}

// unknownKey reports a key the struct does not have, with a pointed
// message for secrets written inline.
func (d *decoder) unknownKey(k *yaml.Node, t reflect.Type, w where) {
	if instead, ok := inlineSecrets[t][k.Value]; ok {
		d.errf(k, w, "key %s not allowed: secrets go in %s, never inline", quote(k.Value), instead)
		return
	}
	d.errf(k, w, "unknown key %s%s", quote(k.Value), didYouMean(k.Value, keysOf(fieldsOf(t))))
}

// mergeKeys applies YAML merge keys (<<: *anchor) before the mapping's own
// keys, which override them.
func (d *decoder) mergeKeys(n *yaml.Node, v reflect.Value, w where) {
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
func (d *decoder) mergeOne(m *yaml.Node, v reflect.Value, w where) {
	if m = d.resolve(m); m == nil {
		return
	}
	if m.Kind != yaml.MappingNode {
		d.errf(m, w, "merge key (<<) wants a mapping, got %s", nodeKindName(m))
		return
	}
	d.decodeStruct(m, v, w)
}
