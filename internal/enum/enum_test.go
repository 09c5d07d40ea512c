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

func TestParseSet(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []color
		err  string
	}{
		{"blue", []color{2}, ""},
		{"green, red,blue", []color{1, 0, 2}, ""},
		{"red,Red", nil, "paint: color red listed twice"},
		{"red,pink", nil, `paint: unknown color "pink" (want red, green or blue)`},
		{"", nil, `paint: unknown color "" (want red, green or blue)`},
	} {
		got, err := colors.ParseSet(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseSet(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("ParseSet(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ParseSet(%q) = %v, want %v", tc.in, got, tc.want)
				break
			}
		}
	}
}
