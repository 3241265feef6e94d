package site

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads, checks and completes the site file at path. On any mistake it
// returns nil and an Errors holding every mistake found, each as
// file:line:col: message.
func Load(path string) (*Site, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, Errors{{Pos: Pos{File: path}, Msg: "cannot read site file: " + err.Error()}}
	}
	return Parse(path, data)
}

// Parse checks and completes a site file read from file (the name used in
// messages; relative secret files resolve against its directory). Secrets
// come from the *_file keys or the FACMON_INFLUX_TOKEN and
// FACMON_MQTT_PASSWORD environment variables.
func Parse(file string, data []byte) (*Site, error) {
	return parse(file, data, osEnv)
}

// env is where a parse reads secrets from; tests and the fuzz target
// replace it so that no real file or variable is touched.
type env struct {
	readFile func(path string) ([]byte, error)
	getenv   func(key string) (string, bool)
}

// osEnv reads secrets from the file system and the process environment.
var osEnv = env{readFile: readSecretFile, getenv: os.LookupEnv}

// maxSecretBytes bounds a secret file, so that a token_file pointing at a
// device or a huge file fails instead of filling memory.
const maxSecretBytes = 64 << 10

// readSecretFile reads at most maxSecretBytes of a regular file.
func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
	if err == nil && len(b) > maxSecretBytes {
		err = fmt.Errorf("larger than %d bytes", maxSecretBytes)
	}
	return b, err
}

// parse is Parse with the secret sources given.
func parse(file string, data []byte, e env) (*Site, error) {
	errs := &errorList{}
	s, d := decodeFile(file, data, errs)
	if s == nil {
		return nil, errs.err()
	}
	c := &checker{file: file, errs: errs, fields: d.fields, bad: d.bad, site: s}
	c.check()
	c.readSecrets(e)
	if err := errs.err(); err != nil {
		return nil, err
	}
	c.applyDefaults()
	return s, nil
}

// decodeFile parses YAML and decodes it into a Site. It returns nil when
// the file is not YAML or not a mapping at all.
func decodeFile(file string, data []byte, errs *errorList) (*Site, *decoder) {
	doc, ok := readDocument(file, data, errs)
	if !ok {
		return nil, nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		errs.add(Pos{File: file, Line: 1, Col: 1}, "site file is empty")
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		errs.add(Pos{File: file, Line: root.Line, Col: root.Column}, "want a mapping of site keys, got %s", nodeKindName(root))
		return nil, nil
	}
	d := &decoder{file: file, errs: errs, fields: map[fieldRef]Pos{}, bad: map[fieldRef]bool{},
		limit: aliasFactor*countNodes(root) + aliasSlack}
	s := &Site{}
	d.decode(root, reflect.ValueOf(s).Elem(), where{})
	return s, d
}

// readDocument parses the one YAML document of a site file.
func readDocument(file string, data []byte, errs *errorList) (_ *yaml.Node, ok bool) {
	defer func() {
		// The YAML library is outside code reading outside input: a panic in
		// it must become an error, not a crash of the service on SIGHUP.
		if r := recover(); r != nil {
			errs.add(Pos{File: file, Line: 1}, "YAML syntax: the YAML library failed: %v", r)
			ok = false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		errs.add(yamlErrorPos(file, err), "%s", yamlErrorMsg(err))
		return nil, false
	}
	switch err := dec.Decode(&extra); {
	case err == nil:
		errs.add(Pos{File: file, Line: extra.Line, Col: extra.Column}, "a site file holds one YAML document; remove the second (---)")
		return nil, false
	case !errors.Is(err, io.EOF):
		errs.add(yamlErrorPos(file, err), "%s", yamlErrorMsg(err))
		return nil, false
	}
	return &doc, true
}

// yamlLine finds the line number in a YAML library error.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlErrorPos returns where a YAML syntax error is; the library gives a
// line only, and not always, so line 1 stands in when it gives none.
func yamlErrorPos(file string, err error) Pos {
	p := Pos{File: file, Line: 1}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil && n > 0 {
			p.Line = n
		}
	}
	return p
}

// yamlErrorMsg returns a YAML syntax error without the library's prefix.
func yamlErrorMsg(err error) string {
	msg := err.Error()
	if m := yamlLine.FindString(msg); m != "" {
		msg = msg[len(m):]
	}
	return "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")
}

// resolvePath makes a path from the site file relative to its directory.
func resolvePath(file, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(file), p)
}
