package page

import (
	"slices"
	"testing"
)

func TestWrapTitle(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want []string
	}{
		{"short", 10, []string{"short"}},
		{"exactly ten", 11, []string{"exactly ten"}},
		{"one two three four", 10, []string{"one two", "three four"}},
		{"averyveryverylongword", 5, []string{"averyveryverylongword"}},
	} {
		if got := wrapTitle(tc.in, tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("wrapTitle(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
