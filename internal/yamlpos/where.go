package yamlpos

import "strings"

// where is the place being decoded in the file's own names: the enclosing
// labelled list elements (`device "p1": signal "level"`) and the keys below
// the last of them (`modbus.unit`, `schedule[0]: from`).
type where struct {
	elems string
	keys  string
}

// key returns the place one key deeper.
func (w where) key(k string) where {
	switch {
	case w.keys == "":
	case strings.HasSuffix(w.keys, "]"):
		k = w.keys + ": " + k
	default:
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
