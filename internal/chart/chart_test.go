package chart

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func TestFormatOf(t *testing.T) {
	for _, c := range []struct {
		name string
		want Format
		ok   bool
	}{
		{"plot.svg", SVG, true},
		{"dir.png/plot.svg", SVG, true},
		{"plot.png", PNG, true},
		{"PLOT.PNG", PNG, true},
		{"plot.jpg", 0, false},
		{"plot", 0, false},
		{"svg", 0, false},
		{"", 0, false},
	} {
		got, ok := FormatOf(c.name)
		if got != c.want || ok != c.ok {
			t.Errorf("FormatOf(%q) = %v, %v; want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// TestSVG pins the element each Canvas call writes.
func TestSVG(t *testing.T) {
	for _, c := range []struct {
		name string
		draw func(Canvas)
		want string
	}{
		{"rect", func(c Canvas) { c.Rect(1, 2.25, 30, 40.06, "#ffffff", "") },
			`<rect x="1" y="2.3" width="30" height="40.1" fill="#ffffff"/>`},
		{"outline", func(c Canvas) { c.Rect(1, 2, 3, 4, "", "#888888") },
			`<rect x="1" y="2" width="3" height="4" fill="none" stroke="#888888" stroke-width="0.6"/>`},
		{"line", func(c Canvas) { c.Line(0, 1, 2, 3, "#eeeeee", 1) },
			`<line x1="0" y1="1" x2="2" y2="3" stroke="#eeeeee" stroke-width="1"/>`},
		{"circle", func(c Canvas) { c.Circle(5, 6, 3, "#e15759", `a < b & "c"`) },
			`<circle cx="5" cy="6" r="3" fill="#e15759"><title>a &lt; b &amp; &quot;c&quot;</title></circle>`},
		{"circle without title", func(c Canvas) { c.Circle(5, 6, 3, "#e15759", "") },
			`<circle cx="5" cy="6" r="3" fill="#e15759"/>`},
		{"text", func(c Canvas) { c.Text(10, 20, "a<b", TextStyle{Size: 11}) },
			`<text x="10" y="20" font-size="11">a&lt;b</text>`},
		{"bold middle", func(c Canvas) { c.Text(10, 20, "t", TextStyle{Size: 14, Anchor: Middle, Bold: true}) },
			`<text x="10" y="20" font-size="14" text-anchor="middle" font-weight="bold">t</text>`},
		{"end grey", func(c Canvas) { c.Text(10, 20, "t", TextStyle{Size: 11, Anchor: End, Fill: "#444444"}) },
			`<text x="10" y="20" font-size="11" text-anchor="end" fill="#444444">t</text>`},
		{"up", func(c Canvas) { c.Text(18, 236.5, "accuracy", TextStyle{Size: 12, Anchor: Middle, Up: true}) },
			`<text x="18" y="236.5" font-size="12" text-anchor="middle" transform="rotate(-90 18 236.5)">accuracy</text>`},
	} {
		b, err := Drawing{W: 64, H: 48, Draw: c.draw}.Encode(SVG)
		if err != nil {
			t.Fatal(err)
		}
		want := `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" viewBox="0 0 64 48" font-family="Helvetica, Arial, sans-serif">` +
			"\n" + c.want + "\n</svg>\n"
		if string(b) != want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, b, want)
		}
	}
}

// testDrawing has one of each kind of mark on a white 200×100 canvas.
var testDrawing = Drawing{W: 200, H: 100, Draw: func(c Canvas) {
	c.Rect(0, 0, 200, 100, "#ffffff", "")
	c.Rect(10, 10, 40, 30, "#4e79a7", "")                                     // filled
	c.Rect(60, 10, 40, 30, "", "#e15759")                                     // outlined
	c.Line(10, 60, 100, 60, "#59a14f", 2)                                     // horizontal
	c.Circle(150, 25, 10, "#f28e2b", "tooltip")                               // disc
	c.Text(150, 70, "Title", TextStyle{Size: 14, Anchor: Middle, Bold: true}) // black
	c.Text(190, 95, "end", TextStyle{Size: 11, Anchor: End, Fill: "#444444"})
	c.Text(20, 95, "up", TextStyle{Size: 12, Up: true})
}}

func decodePNG(t *testing.T, d Drawing) *image.RGBA {
	t.Helper()
	b, err := d.Encode(PNG)
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(m.Bounds())
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			rgba.Set(x, y, m.At(x, y))
		}
	}
	return rgba
}

func rgb(s string) color.RGBA {
	u, _ := (&pngCanvas{}).src(Color(s))
	return u.C.(color.RGBA)
}

// darkIn returns the bounds of the pixels darker than mid-grey in r (in
// PNG pixels).
func darkIn(m *image.RGBA, r image.Rectangle) image.Rectangle {
	var got image.Rectangle
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := m.RGBAAt(x, y)
			if int(c.R)+int(c.G)+int(c.B) < 3*128 {
				got = got.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return got
}

func TestPNG(t *testing.T) {
	m := decodePNG(t, testDrawing)
	if got := m.Bounds(); got != image.Rect(0, 0, Scale*200, Scale*100) {
		t.Fatalf("size %v, want %d×%d", got, Scale*200, Scale*100)
	}
	// Positions in canvas pixels.
	for _, c := range []struct {
		what string
		x, y float64
		want string
	}{
		{"background corner", 0, 0, "#ffffff"},
		{"background far corner", 199.9, 99.9, "#ffffff"},
		{"filled rectangle", 30, 25, "#4e79a7"},
		{"filled rectangle's corner", 10.1, 10.1, "#4e79a7"},
		{"outside the rectangle", 9.4, 25, "#ffffff"},
		{"inside the outline", 80, 25, "#ffffff"},
		{"line", 50, 60, "#59a14f"},
		{"above the line", 50, 58.5, "#ffffff"},
		{"disc's centre", 150, 25, "#f28e2b"},
		{"in the disc", 150, 16, "#f28e2b"},
		{"outside the disc", 158, 33, "#ffffff"},
	} {
		x, y := int(c.x*Scale), int(c.y*Scale)
		if got := m.RGBAAt(x, y); got != rgb(c.want) {
			t.Errorf("%s: pixel (%d, %d) is %v, want %s", c.what, x, y, got, c.want)
		}
	}
	// The 0.6-pixel outline covers 1.2 PNG pixels across the edge, so the
	// pixels on either side of it are part red, part white.
	for _, c := range []struct {
		what string
		x, y int // in PNG pixels
	}{
		{"outline's left edge, inside", 60 * Scale, 25 * Scale},
		{"outline's left edge, outside", 60*Scale - 1, 25 * Scale},
		{"outline's bottom edge", 80 * Scale, 40*Scale - 1},
		{"outline's top edge", 80 * Scale, 10*Scale - 1},
	} {
		got, red := m.RGBAAt(c.x, c.y), rgb("#e15759")
		if !(got.G > red.G && got.G < 0xff && got.B > red.B && got.B < 0xff) {
			t.Errorf("%s: pixel (%d, %d) is %v, want between white and %v", c.what, c.x, c.y, got, red)
		}
	}
	// Text: the title's ink is centred on x = 150 above its baseline at
	// y = 70; "end" ends at x = 190; "up" reads upwards from (20, 95), so
	// it is taller than wide, its tops to the left of x = 20, above y = 95.
	for _, c := range []struct {
		what   string
		search image.Rectangle // in canvas pixels
		check  func(ink image.Rectangle) bool
	}{
		{"title", image.Rect(100, 50, 200, 75), func(ink image.Rectangle) bool {
			mid := (ink.Min.X + ink.Max.X) / 2
			return ink.Dx() > 20*Scale && mid > 148*Scale && mid < 152*Scale && ink.Max.Y <= 71*Scale && ink.Min.Y > 55*Scale
		}},
		{"end", image.Rect(100, 80, 200, 100), func(ink image.Rectangle) bool {
			return ink.Max.X <= 190*Scale && ink.Max.X > 188*Scale && ink.Dx() > 10*Scale
		}},
		{"up", image.Rect(0, 65, 40, 100), func(ink image.Rectangle) bool {
			return ink.Dy() > ink.Dx() && ink.Min.X > 5*Scale && ink.Max.X < 24*Scale &&
				ink.Max.X-20*Scale < 20*Scale-ink.Min.X && ink.Max.Y <= 95*Scale && ink.Max.Y > 93*Scale
		}},
	} {
		ink := darkIn(m, image.Rectangle{c.search.Min.Mul(Scale), c.search.Max.Mul(Scale)})
		if ink.Empty() || !c.check(ink) {
			t.Errorf("%s: ink at %v", c.what, ink)
		}
	}
	// Text is in its colour: the darkest pixels of the title are black,
	// of "end" #444444.
	for _, c := range []struct {
		search image.Rectangle
		want   string
	}{{image.Rect(100, 50, 200, 75), "#000000"}, {image.Rect(100, 80, 200, 100), "#444444"}} {
		if got := darkest(m, image.Rectangle{c.search.Min.Mul(Scale), c.search.Max.Mul(Scale)}); got != rgb(c.want) {
			t.Errorf("darkest pixel in %v is %v, want %s", c.search, got, c.want)
		}
	}
}

func darkest(m *image.RGBA, r image.Rectangle) color.RGBA {
	d := m.RGBAAt(r.Min.X, r.Min.Y)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := m.RGBAAt(x, y); int(c.R)+int(c.G)+int(c.B) < int(d.R)+int(d.G)+int(d.B) {
				d = c
			}
		}
	}
	return d
}

func TestPNGDeterministic(t *testing.T) {
	a, err := testDrawing.Encode(PNG)
	if err != nil {
		t.Fatal(err)
	}
	b, err := testDrawing.Encode(PNG)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the same drawing gave different PNG bytes")
	}
}

func TestPNGBadColour(t *testing.T) {
	for _, c := range []Color{"red", "#fff", "#12345g", "#1234567"} {
		_, err := Drawing{W: 4, H: 4, Draw: func(cv Canvas) { cv.Rect(0, 0, 4, 4, c, "") }}.Encode(PNG)
		if err == nil || !strings.Contains(err.Error(), "want #rrggbb") {
			t.Errorf("%q: %v", c, err)
		}
	}
}
