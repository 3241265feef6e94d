package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one mistake in a rule file, at the place it was made.
type Error struct {
	Pos Pos
	// Msg is the mistake in the file's own names, e.g.
	// `rule "fire-tank-low": select.device: device "fire-tank-9" unknown`.
	Msg string
}

// Error returns the mistake as file:line:col: message.
func (e Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors is every mistake found, in file order. Parse, Load and Validate
// return all of them at once, never only the first.
type Errors []Error

// Error returns one mistake per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, x := range e {
		lines[i] = x.Error()
	}
	return strings.Join(lines, "\n")
}

// errorList collects mistakes.
type errorList struct{ errs Errors }

// add records a mistake at p.
func (l *errorList) add(p Pos, format string, args ...any) {
	l.errs = append(l.errs, Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// err returns the mistakes in file order, or nil when there are none.
func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	out := slices.Clone(l.errs)
	slices.SortStableFunc(out, func(a, b Error) int {
		return cmp.Or(cmp.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	return slices.Compact(out)
}
