package yamlspec

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Pos is a position in an input file. Line and Col count from 1; 0 means
// unknown.
type Pos struct {
	File      string
	Line, Col int
}

// IsValid reports whether the position has a line number.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats the position as "file:line:col", leaving out the parts
// that are unknown ("file:line", "file", "line:col"), or "-" when nothing
// is known.
func (p Pos) String() string {
	s := p.File
	if p.IsValid() {
		if s != "" {
			s += ":"
		}
		s += strconv.Itoa(p.Line)
		if p.Col > 0 {
			s += ":" + strconv.Itoa(p.Col)
		}
	}
	if s == "" {
		s = "-"
	}
	return s
}

// Error is one problem in an input file: where it is, the key path of the
// value (such as "levels[2].size_words"), and what is wrong.
type Error struct {
	Pos  Pos
	Path string
	Msg  string
}

// Error formats the error as "file:line:col: path: message", leaving out
// the position or the path when they are empty.
func (e *Error) Error() string {
	s := e.Msg
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	if e.Pos.File != "" || e.Pos.IsValid() {
		s = e.Pos.String() + ": " + s
	}
	return s
}

// ErrorList is a list of input errors. The zero value is an empty list
// ready to use. It sorts by file, line, column and path.
type ErrorList []*Error

// Add appends an error.
func (l *ErrorList) Add(pos Pos, path, msg string) {
	*l = append(*l, &Error{Pos: pos, Path: path, Msg: msg})
}

// Len implements sort.Interface.
func (l ErrorList) Len() int { return len(l) }

// Swap implements sort.Interface.
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }

// Less implements sort.Interface: errors order by file, line, column, path
// and message.
func (l ErrorList) Less(i, j int) bool {
	a, b := l[i], l[j]
	if a.Pos.File != b.Pos.File {
		return a.Pos.File < b.Pos.File
	}
	if a.Pos.Line != b.Pos.Line {
		return a.Pos.Line < b.Pos.Line
	}
	if a.Pos.Col != b.Pos.Col {
		return a.Pos.Col < b.Pos.Col
	}
	if a.Path != b.Path {
		return a.Path < b.Path
	}
	return a.Msg < b.Msg
}

// Sort sorts the list in place, keeping the order of equal errors.
func (l ErrorList) Sort() { sort.Stable(l) }

// RemoveMultiples sorts the list and keeps only the first error for each
// key path, so that one bad value is reported once.
func (l *ErrorList) RemoveMultiples() {
	l.Sort()
	seen := make(map[string]bool, len(*l))
	out := (*l)[:0]
	for _, e := range *l {
		k := e.Pos.File + "\x00" + e.Path
		if e.Path == "" {
			k += "\x00" + e.Pos.String() + e.Msg
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	*l = out
}

// Error returns the first error and, when there are more, how many.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	case 2:
		return fmt.Sprintf("%s (and 1 more error)", l[0])
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Unwrap returns the errors of the list, so that errors.As finds an *Error.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Err returns nil when the list is empty and the list itself otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// PrintError writes err to w: every error of an ErrorList on a line of its
// own, any other error on one line; each line starts with prefix.
func PrintError(w io.Writer, prefix string, err error) {
	var list ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		// Context added by wrapping ("eval: %w") stays on every line.
		if ctx, ok := strings.CutSuffix(err.Error(), list.Error()); ok {
			prefix += ctx
		}
		for _, e := range list {
			fmt.Fprintf(w, "%s%s\n", prefix, e)
		}
		return
	}
	if err != nil {
		fmt.Fprintf(w, "%s%s\n", prefix, err)
	}
}
