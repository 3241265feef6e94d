package site

import (
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"

	"facmon/internal/yamlpos"
)

// The site file is decoded by facmon's one strict YAML decoder
// (internal/yamlpos); this file holds what is the site's own: how list
// elements are named in messages and the keys that would put a secret in
// the file.
type (
	// Pos is where a YAML node started in its file, for error messages.
	Pos = yamlpos.Pos
	// Error is one mistake in a site file, at the place it was made.
	Error = yamlpos.Error
	// Errors is every mistake found in a site file, in file order. Load
	// and Parse return all of them at once, never only the first.
	Errors = yamlpos.Errors

	errorList = yamlpos.List
	fieldRef  = yamlpos.FieldRef
)

// newDecoder makes the site file's decoder for the tree root.
func newDecoder(file string, errs *errorList, root *yaml.Node) *yamlpos.Decoder {
	d := yamlpos.NewDecoder(file, errs, root)
	d.Label = listElemLabel
	d.UnknownKey = unknownKey
	return d
}

// inlineSecrets are keys that would put a secret in the file, by the struct
// they would sit in, with where the secret goes instead.
var inlineSecrets = map[reflect.Type]map[string]string{
	reflect.TypeFor[Influx]():   {"token": "token_file or env FACMON_INFLUX_TOKEN"},
	reflect.TypeFor[MQTT]():     {"password": "password_file or env FACMON_MQTT_PASSWORD"},
	reflect.TypeFor[Notify]():   {"ack_secret": "ack_secret_file or env FACMON_ACK_SECRET"},
	reflect.TypeFor[Receiver](): {"secret": "secret_file or env FACMON_NOTIFY_<NAME>_SECRET"},
	reflect.TypeFor[Centre]():   {"key": "key_file or env FACMON_CENTRE_KEY"},
}

// unknownKey says why key is not a key of t, with a pointed message for
// secrets written inline.
func unknownKey(t reflect.Type, key string, known []string) string {
	if instead, ok := inlineSecrets[t][key]; ok {
		return fmt.Sprintf("key %s not allowed: secrets go in %s, never inline", quote(key), instead)
	}
	return fmt.Sprintf("unknown key %s%s", quote(key), didYouMean(key, known))
}

// listElemLabel names the i-th element of the lists of named things from
// its id (`device "p1"`), or `device #3` when it has no usable id.
func listElemLabel(key string, n *yaml.Node, i int) (string, bool) {
	label, idKey := listLabel(key)
	if label == "" {
		return "", false
	}
	if id, ok := yamlpos.ScalarAt(n, idKey); ok {
		return fmt.Sprintf("%s %s", label, quote(id)), true
	}
	return fmt.Sprintf("%s #%d", label, i+1), true
}

// listLabel returns how elements of the list under key are named in
// messages, and which of their keys holds the name.
func listLabel(key string) (label, idKey string) {
	switch key {
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

// quote quotes a value for a message, cut to a readable length.
func quote(s string) string { return yamlpos.Quote(s) }

// nodeKindName says what a node is, for "want X, got Y".
func nodeKindName(n *yaml.Node) string { return yamlpos.KindName(n) }
