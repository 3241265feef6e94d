package rules

import (
	"errors"
	"os"
)

// Parse decodes one rule file strictly and checks what can be checked
// without a site: names, severities, cites, durations, kinds and their
// parameters, windows. It returns every mistake at once as Errors.
func Parse(file string, data []byte) (*File, error) {
	errs := &errorList{}
	f := &File{Pos: Pos{File: file, Line: 1, Col: 1}}
	if !decodeFile(file, data, f, errs) {
		return nil, errs.Err()
	}
	checkFile(f, errs)
	if err := errs.Err(); err != nil {
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
