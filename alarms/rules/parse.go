package rules

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// Parse decodes one rule file strictly and checks what can be checked
// without a site: names, severities, cites, durations, kinds and their
// parameters, windows. It returns every mistake at once as Errors.
func Parse(file string, data []byte) (*File, error) {
	errs := &errorList{}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		errs.add(Pos{File: file, Line: yamlErrLine(err), Col: 1}, "%s", yamlErrMsg(err))
		return nil, errs.err()
	}
	f := &File{Pos: Pos{File: file, Line: 1, Col: 1}}
	if len(root.Content) == 1 {
		d := &decoder{file: file, errs: errs}
		d.decode(root.Content[0], reflect.ValueOf(f).Elem(), "")
	}
	checkFile(f, errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// Load reads and parses every file, returning the mistakes of all of them.
func Load(paths ...string) ([]*File, error) {
	var out []*File
	var all Errors
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			all = append(all, Error{Pos: Pos{File: p}, Msg: err.Error()})
			continue
		}
		f, err := Parse(p, data)
		var errs Errors
		if errors.As(err, &errs) {
			all = append(all, errs...)
			continue
		}
		out = append(out, f)
	}
	if len(all) > 0 {
		return nil, all
	}
	return out, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlErrLine returns the line a yaml syntax error names, or 1.
func yamlErrLine(err error) int {
	var line int
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		fmt.Sscan(m[1], &line)
	}
	return max(line, 1)
}

// yamlErrMsg strips the position prefix from a yaml syntax error.
func yamlErrMsg(err error) string {
	s := err.Error()
	if m := yamlLine.FindStringIndex(s); m != nil {
		return "yaml: " + s[m[1]:]
	}
	return s
}
