package rules

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"facmon/internal/yamlpos"
)

// Rule files share facmon's one strict YAML decoder (internal/yamlpos)
// with the site file; what is their own: list elements are named by their
// name key.

// decodeFile decodes the one YAML document of a rule file into f; false
// if the file is not YAML.
func decodeFile(file string, data []byte, f *File, errs *errorList) bool {
	doc, ok := yamlpos.ReadDocument(file, "rule file", data, errs)
	if !ok {
		return false
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		d := yamlpos.NewDecoder(file, errs, doc.Content[0])
		d.Label = nameLabel
		d.Decode(doc.Content[0], f)
	}
	return true
}

// nameLabel names a list element that has a name: `rule "tank-low"` in
// the list rules.
func nameLabel(key string, n *yaml.Node, _ int) (string, bool) {
	name, ok := yamlpos.ScalarAt(n, "name")
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%s %s", strings.TrimSuffix(key, "s"), yamlpos.Quote(name)), true
}
