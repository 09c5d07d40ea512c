package yamlspec

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPosString(t *testing.T) {
	tests := []struct {
		pos  Pos
		want string
	}{
		{Pos{"a.yaml", 3, 5}, "a.yaml:3:5"},
		{Pos{"a.yaml", 3, 0}, "a.yaml:3"},
		{Pos{"a.yaml", 0, 0}, "a.yaml"},
		{Pos{"", 3, 5}, "3:5"},
		{Pos{}, "-"},
	}
	for _, tt := range tests {
		if got := tt.pos.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.pos, got, tt.want)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Pos{"a.yaml", 3, 5}, "levels[0].x", "bad"}, "a.yaml:3:5: levels[0].x: bad"},
		{Error{Pos{"a.yaml", 3, 5}, "", "bad"}, "a.yaml:3:5: bad"},
		{Error{Pos{}, "levels[0].x", "bad"}, "levels[0].x: bad"},
		{Error{Pos{File: "a.yaml"}, "", "empty document"}, "a.yaml: empty document"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestErrorList(t *testing.T) {
	var l ErrorList
	if l.Err() != nil {
		t.Fatalf("empty list: Err() = %v, want nil", l.Err())
	}
	l.Add(Pos{"b.yaml", 1, 1}, "x", "third")
	l.Add(Pos{"a.yaml", 7, 2}, "y", "second")
	l.Add(Pos{"a.yaml", 2, 9}, "z", "first")
	l.Add(Pos{"a.yaml", 7, 2}, "y", "second again")
	l.Sort()
	var got []string
	for _, e := range l {
		got = append(got, e.Msg)
	}
	if diff := cmp.Diff([]string{"first", "second", "second again", "third"}, got); diff != "" {
		t.Errorf("sorted order (-want +got):\n%s", diff)
	}
	if got, want := l.Error(), "a.yaml:2:9: z: first (and 3 more errors)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	l.RemoveMultiples()
	if got, want := len(l), 3; got != want {
		t.Errorf("after RemoveMultiples: %d errors, want %d", got, want)
	}
	if got, want := l[:2].Error(), "a.yaml:2:9: z: first (and 1 more error)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var e *Error
	if err := fmt.Errorf("wrapped: %w", l.Err()); !errors.As(err, &e) || e.Msg != "first" {
		t.Errorf("errors.As(*Error) = %v, want the first error", e)
	}
}

func TestPrintError(t *testing.T) {
	var l ErrorList
	l.Add(Pos{"a.yaml", 1, 1}, "x", "one")
	l.Add(Pos{"a.yaml", 2, 1}, "y", "two")
	var b bytes.Buffer
	PrintError(&b, "nnergy: ", fmt.Errorf("ctx: %w", l))
	PrintError(&b, "nnergy: ", errors.New("plain"))
	want := "nnergy: ctx: a.yaml:1:1: x: one\nnnergy: ctx: a.yaml:2:1: y: two\nnnergy: plain\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("PrintError (-want +got):\n%s", diff)
	}
}
