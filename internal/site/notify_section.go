package site

import (
	"os"

	"go.yaml.in/yaml/v3"

	"facmon/internal/yamlpos"
)

// ParseNotify checks a notify section written outside a site file — the
// group centre's centre.yaml (docs/centre.md) — exactly as a site file's
// `notify:` is checked: the same decoder, checks, secrets (the *_file
// keys, relative to file, or the FACMON_NOTIFY_* and FACMON_ACK_SECRET
// environment variables) and defaults. val is the section's mapping;
// every mistake goes to errs at file:line:col. There are no areas to
// route by. It returns nil when the section has mistakes.
func ParseNotify(file string, val *yaml.Node, errs *yamlpos.List, readFile func(string) ([]byte, error)) *Notify {
	if readFile == nil {
		readFile = readSecretFile
	}
	before := errs.Count()
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "notify", Line: val.Line, Column: val.Column}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: val.Line, Column: val.Column, Content: []*yaml.Node{key, val}}
	d := newDecoder(file, errs, root)
	s := &Site{}
	d.Decode(root, s)
	c := &checker{file: file, errs: errs, fields: d.Fields, bad: d.Bad, site: s}
	c.checkNotify()
	c.readNotifySecrets(env{readFile: readFile, getenv: os.LookupEnv})
	if errs.Count() > before {
		return nil
	}
	c.notifyDefaults()
	return &s.Notify
}
