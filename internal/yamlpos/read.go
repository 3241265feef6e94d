package yamlpos

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ReadDocument parses the one YAML document of a file; what names the
// file in messages ("site file"). A syntax error, a second document or a
// panic of the YAML library is recorded in errs and gives false.
func ReadDocument(file, what string, data []byte, errs *List) (_ *yaml.Node, ok bool) {
	defer func() {
		// The YAML library is outside code reading outside input: a panic in
		// it must become an error, not a crash of the service on SIGHUP.
		if r := recover(); r != nil {
			errs.Add(Pos{File: file, Line: 1}, "YAML syntax: the YAML library failed: %v", r)
			ok = false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		errs.Add(syntaxPos(file, err), "%s", syntaxMsg(err))
		return nil, false
	}
	switch err := dec.Decode(&extra); {
	case err == nil:
		errs.Add(Pos{File: file, Line: extra.Line, Col: extra.Column}, "a %s holds one YAML document; remove the second (---)", what)
		return nil, false
	case !errors.Is(err, io.EOF):
		errs.Add(syntaxPos(file, err), "%s", syntaxMsg(err))
		return nil, false
	}
	return &doc, true
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxPos returns the line a YAML syntax error names, or line 1.
func syntaxPos(file string, err error) Pos {
	p := Pos{File: file, Line: 1}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil && n > 0 {
			p.Line = n
		}
	}
	return p
}

// syntaxMsg returns a YAML syntax error without the library's prefix.
func syntaxMsg(err error) string {
	msg := err.Error()
	if m := yamlLine.FindString(msg); m != "" {
		msg = msg[len(m):]
	}
	return "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")
}
