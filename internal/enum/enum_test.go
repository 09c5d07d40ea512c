package enum

import "testing"

type color uint8

var colors = New[color]("paint", "color", "red", "green", "blue")

func TestNames(t *testing.T) {
	for i, name := range []string{"red", "green", "blue"} {
		if got := colors.String(color(i)); got != name {
			t.Errorf("String(%d) = %q, want %q", i, got, name)
		}
		for _, s := range []string{name, string(name[0]-'a'+'A') + name[1:]} {
			if c, err := colors.Parse(s); err != nil || c != color(i) {
				t.Errorf("Parse(%q) = %d, %v; want %d", s, c, err, i)
			}
		}
	}
	if got := colors.String(7); got != "color(7)" {
		t.Errorf("String(7) = %q", got)
	}
	if _, err := colors.Parse("mauve"); err == nil || err.Error() != `paint: unknown color "mauve" (want red, green or blue)` {
		t.Errorf("Parse(mauve) error = %v", err)
	}
	if got := New[color]("p", "x", "only").Choices(); got != "only" {
		t.Errorf("one choice: %q", got)
	}
	if l := colors.List(); len(l) != 3 || l[2] != "blue" {
		t.Errorf("List = %v", l)
	}
}
