package site

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

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

// Error is one mistake in a site file, at the place it was made.
type Error struct {
	Pos Pos
	// Msg is the mistake in the file's own names, e.g.
	// `device "fire-tank-1": signal "level": unit missing`.
	Msg string
}

// Error returns the mistake as file:line:col: message.
func (e Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors is every mistake found in a site file, in file order. Load and
// Parse return all of them at once, never only the first.
type Errors []Error

// Error returns one mistake per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, x := range e {
		lines[i] = x.Error()
	}
	return strings.Join(lines, "\n")
}

// maxErrors caps the mistakes reported for one file: past it, a file is
// more likely the wrong file than a file with mistakes.
const maxErrors = 100

// errorList collects mistakes while a file is decoded and checked.
type errorList struct {
	errs    Errors
	dropped int
}

// add records a mistake at p.
func (l *errorList) add(p Pos, format string, args ...any) {
	if len(l.errs) >= maxErrors {
		l.dropped++
		return
	}
	l.errs = append(l.errs, Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// count is how many mistakes were recorded, shown or not; the decoder
// compares counts to learn whether a value was wrong.
func (l *errorList) count() int { return len(l.errs) + l.dropped }

// err returns the mistakes as an Errors, or a nil error when there are
// none (never a nil Errors in a non-nil interface).
func (l *errorList) err() error {
	if out := l.sorted(); out != nil {
		return out
	}
	return nil
}

// sorted returns the mistakes in file order, or nil when there are none.
func (l *errorList) sorted() Errors {
	if len(l.errs) == 0 {
		return nil
	}
	out := slices.Clone(l.errs)
	slices.SortStableFunc(out, func(a, b Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	out = slices.Compact(out)
	if l.dropped > 0 {
		last := out[len(out)-1].Pos
		out = append(out, Error{Pos: last, Msg: fmt.Sprintf("too many mistakes: %d more not shown", l.dropped)})
	}
	return out
}
