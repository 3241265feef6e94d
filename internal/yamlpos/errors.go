// Package yamlpos is facmon's one strict YAML decoder with positions, used
// by the site file (internal/site) and the rule files (alarms/rules). It
// decodes a yaml.Node tree into Go structs by their `yaml` tags, strictly
// (unknown keys, repeated keys and values of the wrong YAML type are
// mistakes), going on past each mistake so that a file's mistakes are all
// reported at once, each as file:line:col: message in the file's own
// names (`device "p1": modbus.unit: want an integer, got "x"`). It records
// where every key's value was written, for the owners' later checks, and
// bounds what aliases may expand to and how many mistakes are listed.
package yamlpos

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is where a YAML node starts in its file.
type Pos struct {
	File string
	Line int
	Col  int
}

// String returns the position as file:line:col, leaving out what is unknown.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is one mistake in a file, at the place it was made.
type Error struct {
	Pos Pos
	// Msg is the mistake in the file's own names, e.g.
	// `device "fire-tank-1": signal "level": unit missing`.
	Msg string
}

// Error returns the mistake as file:line:col: message.
func (e Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors is every mistake found, in file order: loaders return all of
// them at once, never only the first.
type Errors []Error

// Error returns one mistake per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, x := range e {
		lines[i] = x.Error()
	}
	return strings.Join(lines, "\n")
}

// MaxErrors caps the mistakes listed for one load: past it, a file is more
// likely the wrong file than a file with mistakes.
const MaxErrors = 100

// List collects mistakes while files are decoded and checked.
type List struct {
	errs    Errors
	dropped int
}

// Add records a mistake at p.
func (l *List) Add(p Pos, format string, args ...any) {
	if len(l.errs) >= MaxErrors {
		l.dropped++
		return
	}
	l.errs = append(l.errs, Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// Count is how many mistakes were recorded, listed or not; a decoder
// compares counts to learn whether a value was wrong.
func (l *List) Count() int { return len(l.errs) + l.dropped }

// Err returns the mistakes as an Errors, or a nil error when there are
// none (never a nil Errors in a non-nil interface).
func (l *List) Err() error {
	if out := l.Sorted(); out != nil {
		return out
	}
	return nil
}

// Sorted returns the mistakes in file order (file, line, column), repeats
// removed, or nil when there are none.
func (l *List) Sorted() Errors {
	if len(l.errs) == 0 {
		return nil
	}
	out := slices.Clone(l.errs)
	slices.SortStableFunc(out, func(a, b Error) int {
		return cmp.Or(cmp.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	out = slices.Compact(out)
	if l.dropped > 0 {
		last := out[len(out)-1].Pos
		out = append(out, Error{Pos: last, Msg: fmt.Sprintf("too many mistakes: %d more not shown", l.dropped)})
	}
	return out
}
