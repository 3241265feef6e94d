package site

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"facmon/internal/yamlpos"
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
		return nil, errs.Err()
	}
	c := &checker{file: file, errs: errs, fields: d.Fields, bad: d.Bad, site: s}
	c.check()
	c.readSecrets(e)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	c.applyDefaults()
	return s, nil
}

// decodeFile parses YAML and decodes it into a Site. It returns nil when
// the file is not YAML or not a mapping at all.
func decodeFile(file string, data []byte, errs *errorList) (*Site, *yamlpos.Decoder) {
	doc, ok := yamlpos.ReadDocument(file, "site file", data, errs)
	if !ok {
		return nil, nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		errs.Add(Pos{File: file, Line: 1, Col: 1}, "site file is empty")
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		errs.Add(Pos{File: file, Line: root.Line, Col: root.Column}, "want a mapping of site keys, got %s", nodeKindName(root))
		return nil, nil
	}
	d := newDecoder(file, errs, root)
	s := &Site{}
	d.Decode(root, s)
	return s, d
}

// resolvePath makes a path from the site file relative to its directory.
func resolvePath(file, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(file), p)
}
